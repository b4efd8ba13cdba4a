package dev.rill.converter.onnx;

import com.google.protobuf.ByteString;
import dev.rill.converter.onnx.proto.AttributeProto;
import dev.rill.converter.onnx.proto.AttributeProto.AttributeType;
import dev.rill.converter.onnx.proto.GraphProto;
import dev.rill.converter.onnx.proto.ModelProto;
import dev.rill.converter.onnx.proto.NodeProto;
import dev.rill.converter.onnx.proto.OperatorSetIdProto;
import dev.rill.converter.onnx.proto.TensorProto;
import dev.rill.converter.onnx.proto.TensorShapeProto;
import dev.rill.converter.onnx.proto.TypeProto;
import dev.rill.converter.onnx.proto.ValueInfoProto;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import java.util.Random;

/** Builds small ONNX models and tensors for tests. */
final class OnnxModels {

  private OnnxModels() {}

  static TensorProto floats(String name, float[] v, long... dims) {
    ByteBuffer b = ByteBuffer.allocate(v.length * 4).order(ByteOrder.LITTLE_ENDIAN);
    for (float f : v) {
      b.putFloat(f);
    }
    return TensorProto.newBuilder().setName(name).setDataType(TensorProto.DataType.FLOAT_VALUE)
        .addAllDims(Arrays.stream(dims).boxed().toList()).setRawData(ByteString.copyFrom(b.array())).build();
  }

  static TensorProto int64s(String name, long[] v, long... dims) {
    TensorProto.Builder t = TensorProto.newBuilder().setName(name).setDataType(TensorProto.DataType.INT64_VALUE)
        .addAllDims(Arrays.stream(dims).boxed().toList());
    for (long x : v) {
      t.addInt64Data(x);
    }
    return t.build();
  }

  static TensorProto int32s(String name, int[] v, long... dims) {
    TensorProto.Builder t = TensorProto.newBuilder().setName(name).setDataType(TensorProto.DataType.INT32_VALUE)
        .addAllDims(Arrays.stream(dims).boxed().toList());
    for (int x : v) {
      t.addInt32Data(x);
    }
    return t.build();
  }

  static float[] random(Random rnd, int n, float scale) {
    float[] v = new float[n];
    for (int i = 0; i < n; i++) {
      v[i] = (rnd.nextFloat() * 2 - 1) * scale;
    }
    return v;
  }

  static NodeProto node(String op, String name, List<String> inputs, List<String> outputs, AttributeProto... attrs) {
    return NodeProto.newBuilder().setOpType(op).setName(name).addAllInput(inputs).addAllOutput(outputs)
        .addAllAttribute(List.of(attrs)).build();
  }

  static AttributeProto attr(String name, long i) {
    return AttributeProto.newBuilder().setName(name).setType(AttributeType.INT).setI(i).build();
  }

  static AttributeProto attr(String name, float f) {
    return AttributeProto.newBuilder().setName(name).setType(AttributeType.FLOAT).setF(f).build();
  }

  static AttributeProto attr(String name, String s) {
    return AttributeProto.newBuilder().setName(name).setType(AttributeType.STRING)
        .setS(ByteString.copyFrom(s, StandardCharsets.UTF_8)).build();
  }

  static AttributeProto ints(String name, long... v) {
    return AttributeProto.newBuilder().setName(name).setType(AttributeType.INTS)
        .addAllInts(Arrays.stream(v).boxed().toList()).build();
  }

  static AttributeProto floatList(String name, float... v) {
    AttributeProto.Builder a = AttributeProto.newBuilder().setName(name).setType(AttributeType.FLOATS);
    for (float f : v) {
      a.addFloats(f);
    }
    return a.build();
  }

  static AttributeProto strings(String name, String... v) {
    AttributeProto.Builder a = AttributeProto.newBuilder().setName(name).setType(AttributeType.STRINGS);
    for (String s : v) {
      a.addStrings(ByteString.copyFrom(s, StandardCharsets.UTF_8));
    }
    return a.build();
  }

  static AttributeProto tensorAttr(String name, TensorProto t) {
    return AttributeProto.newBuilder().setName(name).setType(AttributeType.TENSOR).setT(t).build();
  }

  static AttributeProto graphAttr(String name, GraphProto g) {
    return AttributeProto.newBuilder().setName(name).setType(AttributeType.GRAPH).setG(g).build();
  }

  /** A float (elemType 1) or other typed value; dims are Long (fixed) or String (symbolic). */
  static ValueInfoProto value(String name, int elemType, Object... dims) {
    TensorShapeProto.Builder shape = TensorShapeProto.newBuilder();
    for (Object d : dims) {
      shape.addDim(d instanceof String s ? TensorShapeProto.Dimension.newBuilder().setDimParam(s)
          : TensorShapeProto.Dimension.newBuilder().setDimValue(((Number) d).longValue()));
    }
    return ValueInfoProto.newBuilder().setName(name).setType(TypeProto.newBuilder().setTensorType(
        TypeProto.Tensor.newBuilder().setElemType(elemType).setShape(shape))).build();
  }

  static ModelProto model(GraphProto graph, int opset) {
    return ModelProto.newBuilder().setIrVersion(8).setProducerName("rill-test").setGraph(graph)
        .addOpsetImport(OperatorSetIdProto.newBuilder().setDomain("").setVersion(opset)).build();
  }

  static Path write(Path dir, String file, ModelProto model) throws IOException {
    Path p = dir.resolve(file);
    Files.write(p, model.toByteArray());
    return p;
  }
}
