package dev.rill.runtime;

/**
 * The precision in which a {@link Model} keeps its weight matrices. Lower precision halves or quarters the
 * bytes a step must stream from memory, at a small accuracy cost. Biases, peepholes, embeddings and all
 * state and arithmetic stay float32.
 */
public enum WeightType {
  /** IEEE binary32: the weights exactly as stored in the file (dequantised if the file stores bf16/int8). */
  FP32,
  /** bfloat16, rounded to nearest even from binary32. */
  BF16,
  /** Signed 8-bit with one float32 scale per matrix row (symmetric, scale = max|row| / 127). */
  INT8
}
