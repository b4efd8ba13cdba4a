package dev.rill.converter.onnx;

import static dev.rill.converter.onnx.OnnxModels.attr;
import static dev.rill.converter.onnx.OnnxModels.floats;
import static dev.rill.converter.onnx.OnnxModels.int64s;
import static dev.rill.converter.onnx.OnnxModels.ints;
import static dev.rill.converter.onnx.OnnxModels.node;
import static dev.rill.converter.onnx.OnnxModels.tensorAttr;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.rill.converter.onnx.proto.AttributeProto;
import dev.rill.converter.onnx.proto.GraphProto;
import dev.rill.converter.onnx.proto.NodeProto;
import dev.rill.converter.onnx.proto.TensorProto;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** Each folding operator against hand-computed results (x is [2, 3] = 0..5). */
class ConstantFolderTest {

  private static final TensorProto X = floats("x", new float[] {0, 1, 2, 3, 4, 5}, 2, 3);

  private static ConstTensor fold(NodeProto node, TensorProto... inits) throws OnnxImportException {
    GraphProto g = GraphProto.newBuilder().addInitializer(X).addAllInitializer(List.of(inits)).addNode(node)
        .addInput(OnnxModels.value("runtime", 1, 2)).build();
    return new ConstantFolder(null, 1 << 20, Map.of()).fold(node.getOutput(0), new GraphScope(g, null, "g"), "y");
  }

  private static NodeProto op(String type, List<String> inputs, AttributeProto... attrs) {
    return node(type, type + "_node", inputs, List.of("y"), attrs);
  }

  private static void assertTensor(long[] shape, float[] values, ConstTensor t) {
    assertArrayEquals(shape, t.shape());
    assertArrayEquals(values, t.toFloatArray());
  }

  @Test
  void slice() throws Exception {
    // x[:, 1:3]
    assertTensor(new long[] {2, 2}, new float[] {1, 2, 4, 5}, fold(op("Slice", List.of("x", "s", "e", "a")),
        int64s("s", new long[] {1}, 1), int64s("e", new long[] {3}, 1), int64s("a", new long[] {1}, 1)));
    // x[::-1, -1:] with INT64 extremes as exporters write them
    assertTensor(new long[] {2, 1}, new float[] {5, 2}, fold(op("Slice", List.of("x", "s", "e", "a", "st")),
        int64s("s", new long[] {-1, -1}, 2), int64s("e", new long[] {Long.MIN_VALUE, Long.MAX_VALUE}, 2),
        int64s("a", new long[] {0, 1}, 2), int64s("st", new long[] {-1, 1}, 2)));
    // every other column, opset-1 attribute form
    assertTensor(new long[] {2, 2}, new float[] {0, 2, 3, 5}, fold(op("Slice", List.of("x", "s", "e", "a", "st")),
        int64s("s", new long[] {0}, 1), int64s("e", new long[] {100}, 1), int64s("a", new long[] {-1}, 1),
        int64s("st", new long[] {2}, 1)));
    assertTensor(new long[] {1, 3}, new float[] {3, 4, 5},
        fold(op("Slice", List.of("x"), ints("starts", 1), ints("ends", 2), ints("axes", 0))));
  }

  @Test
  void concatSplitAndGather() throws Exception {
    assertTensor(new long[] {2, 5}, new float[] {0, 1, 2, 7, 8, 3, 4, 5, 9, 10},
        fold(op("Concat", List.of("x", "z"), attr("axis", 1L)), floats("z", new float[] {7, 8, 9, 10}, 2, 2)));
    assertTensor(new long[] {4, 3}, new float[] {0, 1, 2, 3, 4, 5, 0, 1, 2, 3, 4, 5},
        fold(op("Concat", List.of("x", "x"), attr("axis", -2L))));
    NodeProto split = node("Split", "split", List.of("x", "sizes"), List.of("a", "b"), attr("axis", 1L));
    GraphProto g = GraphProto.newBuilder().addInitializer(X).addInitializer(int64s("sizes", new long[] {1, 2}, 2))
        .addNode(split).build();
    GraphScope scope = new GraphScope(g, null, "g");
    ConstantFolder folder = new ConstantFolder(null, 1 << 20, Map.of());
    assertTensor(new long[] {2, 1}, new float[] {0, 3}, folder.fold("a", scope, "a"));
    assertTensor(new long[] {2, 2}, new float[] {1, 2, 4, 5}, folder.fold("b", scope, "b"));
    assertTensor(new long[] {1, 3}, new float[] {0, 1, 2}, fold(node("Split", "s2", List.of("x"), List.of("y", "q"),
        attr("axis", 0L))));
    // Gather columns [2, -3] (negative index counts from the end)
    assertTensor(new long[] {2, 2}, new float[] {2, 0, 5, 3},
        fold(op("Gather", List.of("x", "i"), attr("axis", 1L)), int64s("i", new long[] {2, -3}, 2)));
    assertTensor(new long[] {3}, new float[] {3, 4, 5},
        fold(op("Gather", List.of("x", "i")), int64s("i", new long[] {1})));
  }

  @Test
  void shapeOperators() throws Exception {
    assertTensor(new long[] {3, 2}, new float[] {0, 3, 1, 4, 2, 5}, fold(op("Transpose", List.of("x"),
        ints("perm", 1, 0))));
    assertTensor(new long[] {3, 2}, new float[] {0, 3, 1, 4, 2, 5}, fold(op("Transpose", List.of("x"))));
    assertTensor(new long[] {1, 2, 3}, new float[] {0, 1, 2, 3, 4, 5},
        fold(op("Unsqueeze", List.of("x", "a")), int64s("a", new long[] {0}, 1)));
    assertTensor(new long[] {2, 3, 1}, new float[] {0, 1, 2, 3, 4, 5}, fold(op("Unsqueeze", List.of("x"),
        ints("axes", -1))));
    NodeProto unsq = node("Unsqueeze", "u", List.of("x"), List.of("u1"), ints("axes", 0));
    NodeProto sq = node("Squeeze", "s", List.of("u1", "a"), List.of("y"));
    GraphProto g = GraphProto.newBuilder().addInitializer(X).addInitializer(int64s("a", new long[] {0}, 1))
        .addNode(unsq).addNode(sq).build();
    assertTensor(new long[] {2, 3}, new float[] {0, 1, 2, 3, 4, 5},
        new ConstantFolder(null, 1 << 20, Map.of()).fold("y", new GraphScope(g, null, "g"), "y"));
    assertTensor(new long[] {3, 2}, new float[] {0, 1, 2, 3, 4, 5},
        fold(op("Reshape", List.of("x", "s")), int64s("s", new long[] {-1, 2}, 2)));
    assertTensor(new long[] {2, 3}, new float[] {0, 1, 2, 3, 4, 5},
        fold(op("Reshape", List.of("x", "s")), int64s("s", new long[] {0, -1}, 2)));
    assertTensor(new long[] {1, 6}, new float[] {0, 1, 2, 3, 4, 5}, fold(op("Flatten", List.of("x"),
        attr("axis", 0L))));
    assertArrayEquals(new long[] {2, 3}, fold(op("Shape", List.of("x"))).toLongArray());
    assertArrayEquals(new long[] {6}, fold(op("Size", List.of("x"))).toLongArray());
    assertTensor(new long[] {2, 1}, new float[] {0.5f, 0.5f}, fold(op("ConstantOfShape", List.of("s"),
        tensorAttr("value", floats("v", new float[] {0.5f}, 1))), int64s("s", new long[] {2, 1}, 2)));
    assertTensor(new long[] {2, 3}, new float[] {0, 1, 2, 3, 4, 5}, fold(op("Identity", List.of("x"))));
  }

  @Test
  void arithmeticBroadcastsAndCastConverts() throws Exception {
    TensorProto row = floats("r", new float[] {10, 20, 30}, 3);
    assertTensor(new long[] {2, 3}, new float[] {10, 21, 32, 13, 24, 35}, fold(op("Add", List.of("x", "r")), row));
    assertTensor(new long[] {2, 3}, new float[] {0, 20, 60, 30, 80, 150}, fold(op("Mul", List.of("x", "r")), row));
    assertTensor(new long[] {2, 3}, new float[] {10, 19, 28, 7, 16, 25}, fold(op("Sub", List.of("r", "x")), row));
    assertTensor(new long[] {2, 3}, new float[] {0, 0.5f, 1, 1.5f, 2, 2.5f},
        fold(op("Div", List.of("x", "two")), floats("two", new float[] {2}, 1, 1)));
    assertTensor(new long[] {2, 3}, new float[] {-0f, -1, -2, -3, -4, -5}, fold(op("Neg", List.of("x"))));
    ConstTensor asInt = fold(op("Cast", List.of("h"), attr("to", 7L)), floats("h", new float[] {2.7f, -2.7f}, 2));
    assertArrayEquals(new long[] {2, -2}, asInt.toLongArray());
    assertTrue(asInt.isInteger());
    ConstTensor half = fold(op("Cast", List.of("h"), attr("to", 10L)), floats("h", new float[] {0.1f}, 1));
    assertEquals(Float.float16ToFloat(Float.floatToFloat16(0.1f)), half.toFloatArray()[0]);
    assertArrayEquals(new long[] {7, 3}, fold(op("Div", List.of("a", "b")), int64s("a", new long[] {15, 7}, 2),
        int64s("b", new long[] {2}, 1)).toLongArray());
  }

  @Test
  void constantAttributes() throws Exception {
    assertArrayEquals(new long[] {3, 4}, fold(op("Constant", List.of(), ints("value_ints", 3, 4))).toLongArray());
    assertTensor(new long[0], new float[] {2.5f}, fold(op("Constant", List.of(), attr("value_float", 2.5f))));
    assertTensor(new long[] {1}, new float[] {7}, fold(op("Constant", List.of(),
        tensorAttr("value", floats("c", new float[] {7}, 1)))));
  }

  @Test
  void nonConstantValuesAreReportedWithTheirCause() throws Exception {
    GraphProto g = GraphProto.newBuilder().addInput(OnnxModels.value("runtime", 1, 2))
        .addNode(node("Identity", "id", List.of("runtime"), List.of("a")))
        .addNode(node("Relu", "relu", List.of("x"), List.of("b"))).addInitializer(X).build();
    GraphScope scope = new GraphScope(g, null, "g");
    ConstantFolder folder = new ConstantFolder(null, 1 << 20, Map.of());
    assertNull(folder.tryFold("a", scope));
    OnnxImportException e = assertThrows(OnnxImportException.class, () -> folder.fold("a", scope, "W of LSTM"));
    assertTrue(e.getMessage().contains("graph input 'runtime'"), e.getMessage());
    e = assertThrows(OnnxImportException.class, () -> folder.fold("b", scope, "W of LSTM"));
    assertTrue(e.getMessage().contains("Relu node 'relu'"), e.getMessage());
    e = assertThrows(OnnxImportException.class, () -> folder.fold("nowhere", scope, "W"));
    assertTrue(e.getMessage().contains("no initializer, graph input or node produces it"), e.getMessage());
  }

  @Test
  void malformedFoldingInputsNameTheNode() {
    assertFoldFails("cannot squeeze axis 0", op("Squeeze", List.of("x"), ints("axes", 0)));
    assertFoldFails("out of range for axis of size 3", op("Gather", List.of("x", "i"), attr("axis", 1L)),
        int64s("i", new long[] {3}, 1));
    assertFoldFails("do not broadcast", op("Add", List.of("x", "z")), floats("z", new float[] {1, 2}, 2));
    assertFoldFails("cannot reshape", op("Reshape", List.of("x", "s")), int64s("s", new long[] {4, -1}, 2));
    assertFoldFails("is not a permutation", op("Transpose", List.of("x"), ints("perm", 0, 0)));
    assertFoldFails("do not sum to", op("Split", List.of("x", "s")), int64s("s", new long[] {1, 2}, 2));
    assertFoldFails("more than", op("ConstantOfShape", List.of("s")), int64s("s", new long[] {1 << 30, 1 << 30}, 2));
    assertFoldFails("attribute 'axis' is required", op("Concat", List.of("x", "x")));
  }

  private static void assertFoldFails(String fragment, NodeProto node, TensorProto... inits) {
    OnnxImportException e = assertThrows(OnnxImportException.class, () -> fold(node, inits));
    assertTrue(e.getMessage().contains(fragment), e.getMessage());
    assertTrue(e.getMessage().contains(node.getName()), e.getMessage());
  }
}
