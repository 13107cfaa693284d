//! The page's rules for share links (the payload itself is [`crate::share`]):
//!
//! - **Making one.** The link needs the file's SHA-256, which the Worker
//!   computes on demand (off the report's critical path): asking before it
//!   is known sets `share_wanted`, and the link is made when it arrives.
//! - **Opening one.** A page opened with `#share=…` shows the link's summary
//!   and waits for the file. The dropped file is analysed as usual, then
//!   hashed: the same SHA-256 runs the link's chain over it (the Worker
//!   renders and analyses it; the master report is the link's moves with
//!   this analysis as before and that one as after); another file is
//!   analysed fresh, and the page says why the link's master was not used.

use dsp_wasm::report::{Decision, Intent, MasterReport, Report, MASTER_SCHEMA};

use super::{amounts_of, Effect, PageModel};
use crate::share::{self, FRAGMENT_KEY};

impl PageModel {
    /// Reads the page's URL fragment (`#share=…`, else nothing happens).
    pub fn open_link(&mut self, fragment: &str) {
        let fragment = fragment.strip_prefix('#').unwrap_or(fragment);
        if !fragment.starts_with(FRAGMENT_KEY) {
            return;
        }
        match share::decode(fragment) {
            Ok(p) => {
                self.share_note = None;
                self.shared = Some(p);
            }
            Err(e) => self.share_note = Some(e.to_string()),
        }
    }

    /// "Copy share link": makes the link now, or returns true when the
    /// file's SHA-256 must first be asked for ([`Effect::RequestHash`]).
    pub fn want_share_link(&mut self) -> bool {
        if self.report.is_none() {
            return false;
        }
        if self.sha256.is_some() {
            self.make_share_link();
            false
        } else {
            self.share_wanted = true;
            true
        }
    }

    fn make_share_link(&mut self) {
        if let (Some(report), Some(sha)) = (&self.report, &self.sha256) {
            let master = self.master.as_ref().filter(|_| !self.master_shared);
            self.share_link = Some(share::encode(&share::payload(report, master, sha)));
        }
        self.share_wanted = false;
    }

    /// The file's SHA-256 arrived: make a link that was asked for, and match
    /// a link that was opened.
    pub(super) fn on_hashed(&mut self, sha256: String) -> Vec<Effect> {
        self.sha256 = Some(sha256.clone());
        if self.share_wanted {
            self.make_share_link();
        }
        let Some(link) = self.shared.take() else {
            return Vec::new();
        };
        if link.file.sha256 != sha256 {
            self.share_note = Some(format!(
                "This is not the file the link was made from ({} has another fingerprint): \
                 here is its own analysis, without the link's master.",
                self.report
                    .as_ref()
                    .map_or("the dropped file", |r| r.input.name.as_str())
            ));
            return Vec::new();
        }
        let Some(master) = &link.master else {
            self.share_note = Some("The link's file: its analysis is below.".into());
            return Vec::new();
        };
        self.share_note = Some("Your copy matches the link: playing its master.".into());
        self.mastering = Some(("shared master".into(), 0.0));
        let effect = Effect::ApplyShared {
            chain_json: master.chain.to_json(),
            target_lufs: master.intent.target_lufs,
            ceiling_dbtp: master.intent.ceiling_dbtp,
        };
        self.shared = Some(link);
        vec![effect]
    }

    /// The file through the link's chain was analysed: that is the master.
    pub(super) fn on_applied(&mut self, json: &str) -> Vec<Effect> {
        self.mastering = None;
        let (Some(link), Some(before)) = (self.shared.take(), self.report.clone()) else {
            return Vec::new();
        };
        let (Some(m), Ok(after)) = (link.master, serde_json::from_str::<Report>(json)) else {
            self.master_error = Some("The shared master could not be read.".into());
            return Vec::new();
        };
        let report = MasterReport {
            schema: MASTER_SCHEMA.to_string(),
            intent: Intent {
                target: m.intent.target,
                target_lufs: m.intent.target_lufs,
                ceiling_dbtp: m.intent.ceiling_dbtp,
                character: m.intent.character,
                reference: None,
            },
            decisions: m
                .decisions
                .into_iter()
                .map(|d| Decision {
                    r#move: d.r#move,
                    label: d.label,
                    params: if d.params.is_null() {
                        serde_json::json!({})
                    } else {
                        d.params
                    },
                    addresses: d.addresses,
                    why: d.why,
                    trade_off: String::new(),
                })
                .collect(),
            iterations: Vec::new(),
            chain: m.chain,
            before,
            after,
            left: Vec::new(),
        };
        let chain_json = report.chain.to_json();
        self.chain_json = chain_json.clone();
        self.amounts = amounts_of(&report);
        self.master = Some(report);
        self.master_shared = true;
        vec![
            Effect::PublishMaster { chain_json },
            Effect::SetMatchDb(self.match_db()),
        ]
    }
}
