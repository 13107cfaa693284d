//! Fork-join helpers: natively the work runs on scoped threads; in wasm (no
//! threads in a Worker) it runs one piece after the other. Either way each
//! piece computes exactly what it would alone, and results keep their order,
//! so outcomes never depend on scheduling.

/// `items.iter().map(f)`, natively with one scoped thread per item after
/// the first (the caller's thread takes the first). The results are in
/// `items`' order and each is computed exactly as it would be alone, so the
/// outcome does not depend on scheduling.
pub fn map_parallel<T: Sync, R: Send>(items: &[T], f: &(impl Fn(&T) -> R + Sync)) -> Vec<R> {
    map_owned(items.iter(), f)
}

/// [`map_parallel`] over mutable items: `items.iter_mut().map(f)`.
pub fn map_parallel_mut<T: Send, R: Send>(
    items: &mut [T],
    f: &(impl Fn(&mut T) -> R + Sync),
) -> Vec<R> {
    map_owned(items.iter_mut(), f)
}

/// `items.map(f)`, natively one scoped thread per item after the first.
fn map_owned<I: Send, R: Send>(
    items: impl ExactSizeIterator<Item = I>,
    f: &(impl Fn(I) -> R + Sync),
) -> Vec<R> {
    #[cfg(not(target_arch = "wasm32"))]
    if items.len() > 1 {
        let (n, mut items) = (items.len(), items);
        return std::thread::scope(|s| {
            let first = items.next();
            let rest: Vec<_> = items.map(|x| s.spawn(move || f(x))).collect();
            let mut out = Vec::with_capacity(n);
            out.extend(first.map(f));
            for h in rest {
                match h.join() {
                    Ok(r) => out.push(r),
                    Err(e) => std::panic::resume_unwind(e),
                }
            }
            out
        });
    }
    items.map(f).collect()
}

/// `(a(), b())`, natively with `a` on a scoped thread while `b` runs on the
/// caller's (so `b` may hold the caller's progress callback).
pub fn join<A: Send, B>(a: impl FnOnce() -> A + Send, b: impl FnOnce() -> B) -> (A, B) {
    #[cfg(not(target_arch = "wasm32"))]
    {
        std::thread::scope(|s| {
            let h = s.spawn(a);
            let rb = b();
            match h.join() {
                Ok(ra) => (ra, rb),
                Err(e) => std::panic::resume_unwind(e),
            }
        })
    }
    #[cfg(target_arch = "wasm32")]
    {
        (a(), b())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn results_keep_their_order() {
        let items: Vec<u64> = (0..5).collect();
        assert_eq!(map_parallel(&items, &|x| x * x + 1), vec![1, 2, 5, 10, 17]);
        assert_eq!(join(|| 3, || 4), (3, 4));
        let mut items = items;
        assert_eq!(
            map_parallel_mut(&mut items, &|x| {
                *x += 1;
                *x
            }),
            vec![1, 2, 3, 4, 5]
        );
        assert_eq!(items, vec![1, 2, 3, 4, 5]);
    }
}
