//! Files in and out: decoding any supported format to planar `f32`
//! ([`decode`], symphonia plus a direct PCM WAV reader), WAV encoding
//! ([`wav`]), sample-rate conversion ([`resample`], a Kaiser-windowed sinc), TPDF dither
//! ([`dither`]) and the delivery step that quantises and encodes ([`export`]).

pub mod decode;
pub mod dither;
pub mod export;
pub mod resample;
pub mod wav;
