//! Parameters: the editable [`ParamsSpec`], the validated [`Params`] built
//! from it, the presets and the security table.

mod params;
mod presets;
pub mod security;
mod spec;

pub use params::Params;
pub use security::Security;
pub use spec::{ParamsSpec, SecretDistribution};
