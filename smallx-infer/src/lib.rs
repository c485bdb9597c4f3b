//! smallx-infer
