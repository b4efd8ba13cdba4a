package dev.rill.converter.onnx;

import dev.rill.format.proto.DataType;
import java.util.List;
import java.util.Objects;

/**
 * How {@link OnnxImporter} converts a graph.
 *
 * <ul>
 *   <li>{@link Builder#nodes(List)}: import only these recurrent nodes (by node name, in this order, as a
 *       stack) and the constants they need, ignoring the rest of the graph. This is the CLI's repeatable
 *       {@code --node NAME}; empty (the default) imports the whole graph.
 *   <li>{@link Builder#weightType(DataType)}: how matrices (W, R, Dense and Embedding weights) are stored
 *       in the Rill model: {@code FLOAT32} (default), {@code BFLOAT16} or {@code INT8}. Biases and peepholes
 *       always stay float32.
 *   <li>{@link Builder#maxTensorElements(long)}: the largest tensor (initializer, external data or folded
 *       constant) the importer accepts, so that a malicious file cannot exhaust memory.
 * </ul>
 *
 * @param nodes recurrent node names to import, in stack order; empty for the whole graph
 * @param weightType storage type of weight matrices
 * @param maxTensorElements cap on the element count of any one tensor
 */
public record OnnxImportOptions(List<String> nodes, DataType weightType, long maxTensorElements) {

  /** Default cap: 2^28 elements (1 GiB of float32). */
  public static final long DEFAULT_MAX_TENSOR_ELEMENTS = 1L << 28;

  /** Validates and copies the arguments. */
  public OnnxImportOptions {
    nodes = List.copyOf(Objects.requireNonNull(nodes, "nodes"));
    Objects.requireNonNull(weightType, "weightType");
    if (weightType != DataType.FLOAT32 && weightType != DataType.BFLOAT16 && weightType != DataType.INT8) {
      throw new IllegalArgumentException("weightType must be FLOAT32, BFLOAT16 or INT8, not " + weightType);
    }
    if (maxTensorElements <= 0) {
      throw new IllegalArgumentException("maxTensorElements must be positive, not " + maxTensorElements);
    }
  }

  /** The whole graph, float32 weights, default limits. */
  public static OnnxImportOptions defaults() {
    return builder().build();
  }

  /** A builder starting from {@link #defaults()}. */
  public static Builder builder() {
    return new Builder();
  }

  /** Builder of {@link OnnxImportOptions}. */
  public static final class Builder {
    private List<String> nodes = List.of();
    private DataType weightType = DataType.FLOAT32;
    private long maxTensorElements = DEFAULT_MAX_TENSOR_ELEMENTS;

    private Builder() {}

    /** Import only these recurrent nodes, in this order (layer k+1 reads layer k's output). */
    public Builder nodes(List<String> nodeNames) {
      this.nodes = List.copyOf(nodeNames);
      return this;
    }

    /** Storage type of weight matrices: FLOAT32, BFLOAT16 or INT8. */
    public Builder weightType(DataType type) {
      this.weightType = type;
      return this;
    }

    /** Largest tensor, in elements, that the importer accepts. */
    public Builder maxTensorElements(long elements) {
      this.maxTensorElements = elements;
      return this;
    }

    /** The options. */
    public OnnxImportOptions build() {
      return new OnnxImportOptions(nodes, weightType, maxTensorElements);
    }
  }
}
