package dev.rill.runtime.internal.kernel;

/** How a kernel stores its weight matrices. Biases, peepholes and state are always float32. */
public enum WeightPrecision {
  /** IEEE binary32. */
  FP32,
  /** bfloat16, rounded to nearest even from binary32. */
  BF16,
  /** Signed 8-bit with one float32 scale per matrix row (symmetric, scale = max|row| / 127, as
   * dev.rill.format.Tensors quantises). */
  INT8
}
