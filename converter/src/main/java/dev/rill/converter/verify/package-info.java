/**
 * {@code rill verify}: {@link dev.rill.converter.verify.OnnxVerifier} runs a Rill model (the runtime's sequence
 * API) and an ONNX model (ONNX Runtime Java, one intra-op thread) on the same seeded random inputs and reports,
 * per output, the largest absolute and relative error and how many values miss the tolerances. ONNX Runtime is
 * used by the converter module only, and only here.
 */
package dev.rill.converter.verify;
