//! Parameters: the editable [`ParamsSpec`], the validated [`Params`] built
//! from it, the presets and the security table.

#[allow(
    clippy::module_inception,
    reason = "params/params.rs holds the Params type, beside spec.rs and presets.rs"
)]
mod params;
mod presets;
pub mod security;
mod spec;

pub use params::Params;
pub use security::Security;
pub use spec::{ParamsSpec, SecretDistribution};
