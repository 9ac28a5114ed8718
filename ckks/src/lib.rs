pub mod error;
pub mod math;
pub use error::{Error, Result};
