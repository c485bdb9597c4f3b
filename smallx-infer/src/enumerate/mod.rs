mod engine;
pub use engine::*;
