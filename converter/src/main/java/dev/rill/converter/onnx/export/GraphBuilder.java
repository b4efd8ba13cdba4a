package dev.rill.converter.onnx.export;

import com.google.protobuf.ByteString;
import dev.rill.converter.onnx.proto.AttributeProto;
import dev.rill.converter.onnx.proto.GraphProto;
import dev.rill.converter.onnx.proto.NodeProto;
import dev.rill.converter.onnx.proto.TensorProto;
import dev.rill.converter.onnx.proto.TensorShapeProto;
import dev.rill.converter.onnx.proto.TypeProto;
import dev.rill.converter.onnx.proto.ValueInfoProto;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * Accumulates the nodes, initializers, inputs and outputs of one ONNX graph. Node outputs get fresh names
 * from a counter; {@link #renameLastOutput} gives the final tensor its public name without an Identity node.
 */
final class GraphBuilder {

  private final GraphProto.Builder graph = GraphProto.newBuilder().setName("rill");
  private final List<NodeProto.Builder> nodes = new ArrayList<>();
  private int counter;

  /** Adds a float initializer (raw little-endian data). */
  String floats(String name, float[] data, long... dims) {
    ByteBuffer bytes = ByteBuffer.allocate(data.length * Float.BYTES).order(ByteOrder.LITTLE_ENDIAN);
    bytes.asFloatBuffer().put(data);
    addInitializer(name, TensorProto.DataType.FLOAT, ByteString.copyFrom(bytes.array()), dims);
    return name;
  }

  /** Adds an int64 initializer (raw little-endian data). */
  String int64s(String name, long[] data, long... dims) {
    ByteBuffer bytes = ByteBuffer.allocate(data.length * Long.BYTES).order(ByteOrder.LITTLE_ENDIAN);
    bytes.asLongBuffer().put(data);
    addInitializer(name, TensorProto.DataType.INT64, ByteString.copyFrom(bytes.array()), dims);
    return name;
  }

  private void addInitializer(String name, TensorProto.DataType type, ByteString raw, long... dims) {
    graph.addInitializer(TensorProto.newBuilder()
        .setName(name)
        .setDataType(type.getNumber())
        .addAllDims(Arrays.stream(dims).boxed().toList())
        .setRawData(raw));
  }

  /** Declares a graph input; a {@code String} dimension is symbolic, a {@code Number} fixed. */
  void input(String name, TensorProto.DataType type, Object... dims) {
    graph.addInput(valueInfo(name, type, dims));
  }

  /** Declares a graph output; a {@code String} dimension is symbolic, a {@code Number} fixed. */
  void output(String name, TensorProto.DataType type, Object... dims) {
    graph.addOutput(valueInfo(name, type, dims));
  }

  /** Adds a node with one fresh output and returns that output's name. */
  String node(String opType, List<String> inputs, AttributeProto... attributes) {
    return node(opType, inputs, 1, attributes).get(0);
  }

  /** Adds a node with {@code outputCount} fresh outputs and returns their names. */
  List<String> node(String opType, List<String> inputs, int outputCount, AttributeProto... attributes) {
    List<String> outputs = new ArrayList<>();
    for (int i = 0; i < outputCount; i++) {
      outputs.add("rill/" + opType.toLowerCase() + "_" + counter + (outputCount > 1 ? "_" + i : ""));
    }
    return node(opType, inputs, outputs, attributes);
  }

  /** Adds a node whose outputs have the given names (an empty name omits an optional output). */
  List<String> node(String opType, List<String> inputs, List<String> outputs, AttributeProto... attributes) {
    int id = counter++;
    nodes.add(NodeProto.newBuilder()
        .setName("rill/" + opType + "_" + id)
        .setOpType(opType)
        .addAllInput(inputs)
        .addAllOutput(outputs)
        .addAllAttribute(Arrays.asList(attributes)));
    return outputs;
  }

  /**
   * Renames the tensor {@code from}, which the last node produced, to {@code to}. Returns false when the last
   * node did not produce it (then the caller needs an Identity node).
   */
  boolean renameLastOutput(String from, String to) {
    if (nodes.isEmpty()) {
      return false;
    }
    NodeProto.Builder last = nodes.get(nodes.size() - 1);
    for (int i = 0; i < last.getOutputCount(); i++) {
      if (last.getOutput(i).equals(from)) {
        last.setOutput(i, to);
        return true;
      }
    }
    return false;
  }

  GraphProto build() {
    for (NodeProto.Builder node : nodes) {
      graph.addNode(node);
    }
    return graph.build();
  }

  static AttributeProto intAttr(String name, long value) {
    return AttributeProto.newBuilder().setName(name).setType(AttributeProto.AttributeType.INT).setI(value).build();
  }

  static AttributeProto floatAttr(String name, float value) {
    return AttributeProto.newBuilder().setName(name).setType(AttributeProto.AttributeType.FLOAT).setF(value).build();
  }

  static AttributeProto stringAttr(String name, String value) {
    return AttributeProto.newBuilder().setName(name).setType(AttributeProto.AttributeType.STRING)
        .setS(ByteString.copyFromUtf8(value)).build();
  }

  static AttributeProto intsAttr(String name, long... values) {
    return AttributeProto.newBuilder().setName(name).setType(AttributeProto.AttributeType.INTS)
        .addAllInts(Arrays.stream(values).boxed().toList()).build();
  }

  static AttributeProto floatsAttr(String name, List<Float> values) {
    return AttributeProto.newBuilder().setName(name).setType(AttributeProto.AttributeType.FLOATS)
        .addAllFloats(values).build();
  }

  static AttributeProto stringsAttr(String name, List<String> values) {
    AttributeProto.Builder attr = AttributeProto.newBuilder().setName(name)
        .setType(AttributeProto.AttributeType.STRINGS);
    values.forEach(v -> attr.addStrings(ByteString.copyFromUtf8(v)));
    return attr.build();
  }

  private static ValueInfoProto valueInfo(String name, TensorProto.DataType type, Object... dims) {
    TensorShapeProto.Builder shape = TensorShapeProto.newBuilder();
    for (Object dim : dims) {
      TensorShapeProto.Dimension.Builder d = TensorShapeProto.Dimension.newBuilder();
      if (dim instanceof Number n) {
        d.setDimValue(n.longValue());
      } else {
        d.setDimParam(dim.toString());
      }
      shape.addDim(d);
    }
    return ValueInfoProto.newBuilder()
        .setName(name)
        .setType(TypeProto.newBuilder().setTensorType(
            TypeProto.Tensor.newBuilder().setElemType(type.getNumber()).setShape(shape)))
        .build();
  }
}
