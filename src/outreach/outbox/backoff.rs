//! When a failed delivery is tried again: exponential backoff with jitter, then `dead`.

use std::time::Duration;

/// The longest wait between two attempts, however many failed before.
pub const MAX_DELAY: Duration = Duration::from_secs(6 * 3600);

/// What becomes of a message whose attempt number `attempt` (1 for the first) just failed.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum AfterFailure {
    /// Try again after this long.
    RetryIn(Duration),
    /// No attempts left.
    Dead,
}

/// `base × 2^(attempt − 1)`, capped at [`MAX_DELAY`], of which a random half is taken off
/// ("equal jitter": `jitter` is a uniform draw in `[0, 1)`), so that messages that failed
/// together (a receiver down for everyone) do not all come back at the same instant, while the
/// wait still grows with each failure. After `max_attempts` attempts the message is dead.
pub fn after_failure(attempt: u32, max_attempts: u32, base: Duration, jitter: f64) -> AfterFailure {
    if attempt >= max_attempts {
        return AfterFailure::Dead;
    }
    let exp = 2u32.saturating_pow(attempt.saturating_sub(1).min(30));
    let full = base.saturating_mul(exp).min(MAX_DELAY);
    let jitter = jitter.clamp(0.0, 1.0);
    AfterFailure::RetryIn(full.mul_f64(0.5 + 0.5 * jitter))
}

/// A uniform draw in `[0, 1)` from the operating system's generator.
pub fn jitter() -> f64 {
    let mut bytes = [0u8; 8];
    // Without entropy the wait is simply the shortest of its range.
    if getrandom::fill(&mut bytes).is_err() {
        return 0.0;
    }
    (u64::from_le_bytes(bytes) >> 11) as f64 / (1u64 << 53) as f64
}

#[cfg(test)]
mod tests {
    use super::*;

    const BASE: Duration = Duration::from_secs(5);

    fn delay(attempt: u32, jitter: f64) -> Duration {
        match after_failure(attempt, 12, BASE, jitter) {
            AfterFailure::RetryIn(d) => d,
            AfterFailure::Dead => panic!("attempt {attempt} is not the last"),
        }
    }

    #[test]
    fn waits_double_within_their_jitter_range() {
        // Attempt n waits between half and all of 5 s × 2^(n−1).
        assert_eq!(delay(1, 0.0), Duration::from_millis(2500));
        assert_eq!(delay(1, 1.0), Duration::from_secs(5));
        assert_eq!(delay(2, 0.0), Duration::from_secs(5));
        assert_eq!(delay(2, 1.0), Duration::from_secs(10));
        assert_eq!(delay(3, 0.5), Duration::from_millis(15_000));
        for n in 1..11 {
            assert!(
                delay(n + 1, 0.0) >= delay(n, 1.0),
                "attempt {n}: the next shortest wait is no shorter"
            );
        }
    }

    #[test]
    fn waits_are_capped_and_the_last_attempt_is_dead() {
        // With the defaults (5 s, 12 attempts) the longest wait is 5 s × 2^10, 85 min.
        assert_eq!(delay(11, 1.0), Duration::from_secs(5 * 1024));
        // 5 s × 2^12 is 5.7 h, under the cap; × 2^13 is past it.
        let retry = |attempt| after_failure(attempt, 100, BASE, 1.0);
        assert_eq!(retry(13), AfterFailure::RetryIn(Duration::from_secs(5 * 4096)));
        assert_eq!(retry(14), AfterFailure::RetryIn(MAX_DELAY));
        assert_eq!(retry(99), AfterFailure::RetryIn(MAX_DELAY));
        assert_eq!(after_failure(12, 12, BASE, 0.3), AfterFailure::Dead);
        assert_eq!(after_failure(1, 1, BASE, 0.3), AfterFailure::Dead);
    }

    #[test]
    fn jitter_draws_stay_in_range() {
        let draws: Vec<f64> = (0..1000).map(|_| jitter()).collect();
        assert!(draws.iter().all(|j| (0.0..1.0).contains(j)));
        let distinct = draws
            .iter()
            .map(|j| j.to_bits())
            .collect::<std::collections::HashSet<_>>();
        assert!(distinct.len() > 990, "draws vary");
    }
}
