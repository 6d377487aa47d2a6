//! The service both sides of the interop tests speak, defined the roam way
//! (a Rust trait under `#[roam::service]`), and the peer's implementation.

use facet::Facet;
use roam::{Rx, Tx};

use crate::out;

#[derive(Debug, Clone, PartialEq, Facet)]
#[repr(u8)]
pub enum MathError {
    DivisionByZero,
    Overflow,
}

#[roam::service]
pub trait Interop {
    async fn echo(&self, message: String) -> String;
    async fn add(&self, a: i64, b: i64) -> i64;
    async fn divide(&self, dividend: i64, divisor: i64) -> Result<i64, MathError>;
    /// Sleeps, then returns `ms`; used to test cancellation.
    async fn sleep_ms(&self, ms: u64) -> u64;
    /// The caller sends numbers; the sum comes back.
    async fn sum(&self, numbers: Rx<i32>) -> i64;
    /// Sends 0..count to the caller, then closes.
    async fn generate(&self, count: u32, output: Tx<i32>);
}

#[derive(Clone)]
pub struct InteropService;

/// Prints HANDLER_CANCELLED unless disarmed: roam-core cancels a call by
/// dropping its handler future, which runs this guard's Drop.
struct CancelWitness {
    method: &'static str,
    finished: bool,
}

impl Drop for CancelWitness {
    fn drop(&mut self) {
        if !self.finished {
            out::event(format!("HANDLER_CANCELLED method={}", self.method));
        }
    }
}

impl Interop for InteropService {
    async fn echo(&self, message: String) -> String {
        out::event("SERVED method=echo");
        message
    }

    async fn add(&self, a: i64, b: i64) -> i64 {
        out::event("SERVED method=add");
        a.wrapping_add(b)
    }

    async fn divide(&self, dividend: i64, divisor: i64) -> Result<i64, MathError> {
        out::event("SERVED method=divide");
        if divisor == 0 {
            Err(MathError::DivisionByZero)
        } else {
            dividend.checked_div(divisor).ok_or(MathError::Overflow)
        }
    }

    async fn sleep_ms(&self, ms: u64) -> u64 {
        out::event("SERVED method=sleep_ms");
        let mut witness = CancelWitness { method: "sleep_ms", finished: false };
        tokio::time::sleep(std::time::Duration::from_millis(ms)).await;
        witness.finished = true;
        ms
    }

    async fn sum(&self, mut numbers: Rx<i32>) -> i64 {
        out::event("SERVED method=sum");
        let mut total = 0i64;
        while let Ok(Some(n)) = numbers.recv().await {
            total += i64::from(*n);
        }
        total
    }

    async fn generate(&self, count: u32, output: Tx<i32>) {
        out::event("SERVED method=generate");
        for i in 0..count as i32 {
            if output.send(i).await.is_err() {
                break;
            }
        }
        let _ = output.close(Default::default()).await;
    }
}

/// `METHOD <name> 0x<id>` for every method, as the crates compute the ids.
pub fn print_method_ids() {
    for m in interop_service_descriptor().methods {
        out::line(format!("METHOD {} 0x{:016x}", m.method_name, m.id.0));
    }
}
