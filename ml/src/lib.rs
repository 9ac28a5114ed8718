//! Machine learning for the encrypted diagnosis: the breast-cancer data set,
//! standardization, logistic regression trained from scratch, its JSON
//! model file, polynomial sigmoids, and encrypted inference on CKKS in three
//! packings with the patient and hospital as separate types.

pub mod data;
pub mod encrypted;
pub mod error;
pub mod files;
pub mod info;
pub mod logreg;
pub mod metrics;
pub mod model;
pub mod scaler;
pub mod sigmoid;

pub use data::{Dataset, FeatureSelection, Split};
pub use error::{Error, Result};
pub use info::{Encryption, ModelInfo, Records};
pub use logreg::{sigmoid, LogisticRegression, TrainOptions};
pub use metrics::Confusion;
pub use model::Model;
pub use scaler::StandardScaler;
pub use sigmoid::SigmoidPoly;
