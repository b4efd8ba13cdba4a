package dev.rill.format;

/**
 * Size caps that a reader enforces before it allocates anything large, so that a hostile or corrupt file
 * fails with a {@link ModelFormatException} instead of exhausting memory.
 *
 * @param maxFileBytes the largest file or byte array accepted; at most {@link #MAX_FILE_BYTES}, the most one
 *     protobuf message can hold
 * @param maxTensorElements the most elements in one tensor; at most {@link #MAX_TENSOR_ELEMENTS} so that a
 *     tensor always fits in a {@code float[]}
 * @param maxRank the most dimensions of one tensor
 * @param maxTensors the most tensors in a model
 * @param maxLayers the most layers in a model
 * @param maxLayerSize the largest value of any size field of a layer (input size, hidden size, vocabulary
 *     size, embedding dim, dense output size)
 */
public record ReaderLimits(
    long maxFileBytes, long maxTensorElements, int maxRank, int maxTensors, int maxLayers, long maxLayerSize) {

  /**
   * The hard upper bound of {@link #maxFileBytes}: just under 2 GiB, so that the cap plus one probe byte still fits
   * in a Java array.
   */
  public static final long MAX_FILE_BYTES = Integer.MAX_VALUE - 16;

  /** The hard upper bound of {@link #maxTensorElements}: the largest {@code float[]}. */
  public static final long MAX_TENSOR_ELEMENTS = Integer.MAX_VALUE - 8;

  /**
   * The defaults: files up to just under 2 GiB, 2^29 elements per tensor (2 GiB of fp32), rank 8, 65536 tensors,
   * 1024 layers and layer sizes up to 2^24.
   */
  public static final ReaderLimits DEFAULT =
      new ReaderLimits(MAX_FILE_BYTES, 1L << 29, 8, 65_536, 1024, 1L << 24);

  /**
   * Checks that every limit is positive and within its hard bound.
   *
   * @throws IllegalArgumentException if a limit is out of range
   */
  public ReaderLimits {
    requireRange("maxFileBytes", maxFileBytes, MAX_FILE_BYTES);
    requireRange("maxTensorElements", maxTensorElements, MAX_TENSOR_ELEMENTS);
    requireRange("maxRank", maxRank, 64);
    requireRange("maxTensors", maxTensors, Integer.MAX_VALUE);
    requireRange("maxLayers", maxLayers, Integer.MAX_VALUE);
    requireRange("maxLayerSize", maxLayerSize, 0xFFFF_FFFFL);
  }

  /**
   * Returns a copy with another file size cap.
   *
   * @param bytes the new {@link #maxFileBytes}
   * @return the new limits
   */
  public ReaderLimits withMaxFileBytes(long bytes) {
    return new ReaderLimits(bytes, maxTensorElements, maxRank, maxTensors, maxLayers, maxLayerSize);
  }

  /**
   * Returns a copy with another per-tensor element cap.
   *
   * @param elements the new {@link #maxTensorElements}
   * @return the new limits
   */
  public ReaderLimits withMaxTensorElements(long elements) {
    return new ReaderLimits(maxFileBytes, elements, maxRank, maxTensors, maxLayers, maxLayerSize);
  }

  private static void requireRange(String name, long value, long max) {
    if (value < 1 || value > max) {
      throw new IllegalArgumentException("ReaderLimits." + name + " is " + value + "; it must be in [1, " + max + "]");
    }
  }
}
