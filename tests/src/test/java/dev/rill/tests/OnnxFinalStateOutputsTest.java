package dev.rill.tests;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.onnxruntime.OnnxTensor;
import ai.onnxruntime.OrtEnvironment;
import ai.onnxruntime.OrtSession;
import dev.rill.converter.onnx.OnnxImportException;
import dev.rill.converter.onnx.OnnxImporter;
import dev.rill.converter.onnx.proto.AttributeProto;
import dev.rill.converter.onnx.proto.GraphProto;
import dev.rill.converter.onnx.proto.ModelProto;
import dev.rill.converter.onnx.proto.NodeProto;
import dev.rill.converter.onnx.proto.OperatorSetIdProto;
import dev.rill.converter.onnx.proto.TensorProto;
import dev.rill.converter.onnx.proto.TensorShapeProto;
import dev.rill.converter.onnx.proto.TypeProto;
import dev.rill.converter.onnx.proto.ValueInfoProto;
import dev.rill.format.proto.RillModel;
import dev.rill.runtime.Model;
import dev.rill.runtime.SequenceBatch;
import dev.rill.runtime.SequenceResult;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.FloatBuffer;
import java.nio.LongBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Graphs shaped like PyTorch exports of a two-layer {@code nn.LSTM(5, 6, num_layers=2, batch_first=True)} that
 * expose the final states {@code h_n}/{@code c_n} (Concat of the layers' Y_h/Y_c on axis 0) or feed
 * {@code h_n[-1]} to a Linear (many-to-one), written with the converter's ONNX proto classes. ONNX Runtime runs
 * each graph; the imported Rill model must compute the same per-step output, and its final state must equal
 * ORT's h_n and c_n. Tolerance |ort - rill| &lt;= 1e-6 + 1e-5 * |ort|, as in {@link OnnxExportOracleTest}.
 */
class OnnxFinalStateOutputsTest {

  static final int X = 5;
  static final int H = 6;
  static final int CLASSES = 3;
  static final int STEPS = 9;
  static final int BATCH = 3;
  static final double RTOL = 1e-5;
  static final double ATOL = 1e-6;

  @TempDir
  Path dir;

  /** The graph under construction; node outputs are named after the node. */
  static final class Graph {
    final GraphProto.Builder g = GraphProto.newBuilder();
    final Random random = new Random(11);

    String node(String op, String name, List<String> inputs, int outputs, AttributeProto... attrs) {
      NodeProto.Builder n = NodeProto.newBuilder().setOpType(op).setName(name).addAllInput(inputs);
      for (int i = 0; i < outputs; i++) {
        n.addOutput(name + (i == 0 ? "" : "_" + i));
      }
      for (AttributeProto a : attrs) {
        n.addAttribute(a);
      }
      g.addNode(n);
      return name;
    }

    String floats(String name, long... dims) {
      int n = 1;
      for (long d : dims) {
        n *= (int) d;
      }
      ByteBuffer raw = ByteBuffer.allocate(4 * n).order(ByteOrder.LITTLE_ENDIAN);
      for (int i = 0; i < n; i++) {
        raw.putFloat((random.nextFloat() * 2 - 1) * 0.6f);
      }
      g.addInitializer(TensorProto.newBuilder().setName(name).setDataType(TensorProto.DataType.FLOAT_VALUE)
          .addAllDims(java.util.Arrays.stream(dims).boxed().toList())
          .setRawData(com.google.protobuf.ByteString.copyFrom(raw.array())));
      return name;
    }

    String int64s(String name, long... values) {
      g.addInitializer(TensorProto.newBuilder().setName(name).setDataType(TensorProto.DataType.INT64_VALUE)
          .addDims(values.length).addAllInt64Data(java.util.Arrays.stream(values).boxed().toList()));
      return name;
    }

    String scalar(String name, long value) {
      g.addInitializer(TensorProto.newBuilder().setName(name).setDataType(TensorProto.DataType.INT64_VALUE)
          .addInt64Data(value));
      return name;
    }

    void input(String name, int type, Object... dims) {
      g.addInput(value(name, type, dims));
    }

    void output(String name, int type, Object... dims) {
      g.addOutput(value(name, type, dims));
    }

    ModelProto model() {
      return ModelProto.newBuilder().setIrVersion(8).setProducerName("pytorch").setProducerVersion("2.5.0")
          .addOpsetImport(OperatorSetIdProto.newBuilder().setDomain("").setVersion(17)).setGraph(g).build();
    }
  }

  static ValueInfoProto value(String name, int type, Object... dims) {
    TensorShapeProto.Builder shape = TensorShapeProto.newBuilder();
    for (Object d : dims) {
      shape.addDim(d instanceof String s ? TensorShapeProto.Dimension.newBuilder().setDimParam(s)
          : TensorShapeProto.Dimension.newBuilder().setDimValue(((Number) d).longValue()));
    }
    return ValueInfoProto.newBuilder().setName(name).setType(TypeProto.newBuilder().setTensorType(
        TypeProto.Tensor.newBuilder().setElemType(type).setShape(shape))).build();
  }

  static AttributeProto ints(String name, long... values) {
    AttributeProto.Builder a = AttributeProto.newBuilder().setName(name).setType(AttributeProto.AttributeType.INTS);
    for (long v : values) {
      a.addInts(v);
    }
    return a.build();
  }

  static AttributeProto intAttr(String name, long value) {
    return AttributeProto.newBuilder().setName(name).setType(AttributeProto.AttributeType.INT).setI(value).build();
  }

  static AttributeProto stringAttr(String name, String value) {
    return AttributeProto.newBuilder().setName(name).setType(AttributeProto.AttributeType.STRING)
        .setS(com.google.protobuf.ByteString.copyFromUtf8(value)).build();
  }

  /**
   * x [N, T, 5] -> Transpose -> LSTM l0 -> Squeeze -> LSTM l1 -> Squeeze; the zero initial states are built from
   * Shape(x) as PyTorch does. Returns {Y of l1 squeezed [T, N, H], Y_h_l0, Y_h_l1, Y_c_l0, Y_c_l1}.
   *
   * @param lengths the sequence_lens value both nodes read, or "" for none
   * @param direction1 the direction of layer 1
   */
  static List<String> twoLayerLstm(Graph g, String lengths, String direction1) {
    g.input("x", TensorProto.DataType.FLOAT_VALUE, "batch", "time", X);
    String xt = g.node("Transpose", "/lstm/Transpose", List.of("x"), 1, ints("perm", 1, 0, 2));
    String shape = g.node("Shape", "/lstm/Shape", List.of("x"), 1);
    String batch = g.node("Gather", "/lstm/Gather", List.of(shape, g.scalar("zero", 0)), 1, intAttr("axis", 0));
    String batch1 = g.node("Unsqueeze", "/lstm/Unsqueeze", List.of(batch, g.int64s("axes0", 0)), 1);
    List<String> outs = new ArrayList<>();
    String current = xt;
    for (int layer = 0; layer < 2; layer++) {
      String direction = layer == 0 ? "forward" : direction1;
      long d = direction.equals("bidirectional") ? 2 : 1;
      String stateShape = g.node("Concat", "/lstm/Concat_" + layer, List.of(g.int64s("d" + layer, d), batch1,
          g.int64s("h" + layer, H)), 1, intAttr("axis", 0));
      String zeros = g.node("ConstantOfShape", "/lstm/ConstantOfShape_" + layer, List.of(stateShape), 1);
      long in = layer == 0 ? X : H;
      String lstm = g.node("LSTM", "/lstm/LSTM_" + layer, List.of(current, g.floats("W" + layer, d, 4 * H, in),
          g.floats("R" + layer, d, 4 * H, H), g.floats("B" + layer, d, 8 * H), lengths, zeros, zeros), 3,
          intAttr("hidden_size", H), stringAttr("direction", direction));
      if (d == 1) {
        current = g.node("Squeeze", "/lstm/Squeeze_" + layer, List.of(lstm, g.int64s("axes1_" + layer, 1)), 1);
      } else {
        // [T, 2, N, H] -> [T, N, 2, H] -> [T, N, 2H]
        String t = g.node("Transpose", "/lstm/Transpose_" + layer, List.of(lstm), 1, ints("perm", 0, 2, 1, 3));
        current = g.node("Reshape", "/lstm/Reshape_" + layer, List.of(t, g.int64s("shape" + layer, 0, 0, -1)), 1);
      }
      outs.add(lstm + "_1");
      outs.add(lstm + "_2");
    }
    return List.of(current, outs.get(0), outs.get(2), outs.get(1), outs.get(3));
  }

  /** What PyTorch's {@code out, (h_n, c_n) = lstm(x); return fc(out), h_n, c_n} exports to. */
  static ModelProto sequenceWithFinalStates(String lengths) {
    Graph g = new Graph();
    if (!lengths.isEmpty()) {
      g.input("lengths", TensorProto.DataType.INT64_VALUE, "batch");
    }
    String seqLens = lengths.isEmpty() ? "" : g.node("Cast", "/Cast", List.of("lengths"), 1,
        intAttr("to", TensorProto.DataType.INT32_VALUE));
    List<String> lstm = twoLayerLstm(g, seqLens, "forward");
    String batchFirst = g.node("Transpose", "/Transpose_out", List.of(lstm.get(0)), 1, ints("perm", 1, 0, 2));
    String mm = g.node("MatMul", "/fc/MatMul", List.of(batchFirst, g.floats("fc.weight_t", H, CLASSES)), 1);
    g.node("Add", "output", List.of(mm, g.floats("fc.bias", CLASSES)), 1);
    g.node("Concat", "h_n", List.of(lstm.get(1), lstm.get(2)), 1, intAttr("axis", 0));
    g.node("Concat", "c_n", List.of(lstm.get(3), lstm.get(4)), 1, intAttr("axis", 0));
    g.output("output", TensorProto.DataType.FLOAT_VALUE, "batch", "time", CLASSES);
    g.output("h_n", TensorProto.DataType.FLOAT_VALUE, 2, "batch", H);
    g.output("c_n", TensorProto.DataType.FLOAT_VALUE, 2, "batch", H);
    return g.model();
  }

  /** What {@code _, (h_n, _) = lstm(x); return fc(h_n[-1])} exports to: Gather(h_n, -1) then Gemm. */
  static ModelProto manyToOne(String lengths, String direction1) {
    Graph g = new Graph();
    if (!lengths.isEmpty()) {
      g.input("lengths", TensorProto.DataType.INT32_VALUE, "batch");
    }
    String seqLens = lengths.isEmpty() ? "" : g.node("Identity", "/Identity", List.of("lengths"), 1);
    List<String> lstm = twoLayerLstm(g, seqLens, direction1);
    String hn = g.node("Concat", "/Concat_h", List.of(lstm.get(1), lstm.get(2)), 1, intAttr("axis", 0));
    String last = g.node("Gather", "/Gather_last", List.of(hn, g.scalar("minus_one", -1)), 1, intAttr("axis", 0));
    g.node("Gemm", "logits", List.of(last, g.floats("fc.weight", CLASSES, H), g.floats("fc.bias", CLASSES)), 1,
        intAttr("transB", 1));
    g.output("logits", TensorProto.DataType.FLOAT_VALUE, "batch", CLASSES);
    return g.model();
  }

  /** ORT's outputs for x [N, T, X] (batch-major, as the graphs take it) and optional lengths. */
  static Map<String, float[]> runOrt(ModelProto model, float[] xBatchMajor, long[] lengths, boolean int32Lengths)
      throws Exception {
    OrtEnvironment env = OrtEnvironment.getEnvironment();
    try (OrtSession.SessionOptions options = new OrtSession.SessionOptions()) {
      options.setIntraOpNumThreads(1);
      try (OrtSession session = env.createSession(model.toByteArray(), options)) {
        Map<String, OnnxTensor> feeds = new HashMap<>();
        feeds.put("x", OnnxTensor.createTensor(env, FloatBuffer.wrap(xBatchMajor), new long[] {BATCH, STEPS, X}));
        if (lengths != null) {
          feeds.put("lengths", int32Lengths
              ? OnnxTensor.createTensor(env, java.nio.IntBuffer.wrap(java.util.Arrays.stream(lengths)
                  .mapToInt(v -> (int) v).toArray()), new long[] {BATCH})
              : OnnxTensor.createTensor(env, LongBuffer.wrap(lengths), new long[] {BATCH}));
        }
        try (OrtSession.Result result = session.run(feeds)) {
          Map<String, float[]> out = new HashMap<>();
          for (Map.Entry<String, ai.onnxruntime.OnnxValue> e : result) {
            FloatBuffer b = ((OnnxTensor) e.getValue()).getFloatBuffer();
            float[] v = new float[b.remaining()];
            b.get(v);
            out.put(e.getKey(), v);
          }
          return out;
        } finally {
          feeds.values().forEach(OnnxTensor::close);
        }
      }
    }
  }

  static float[] randomInput() {
    Random random = new Random(3);
    float[] x = new float[BATCH * STEPS * X];
    for (int i = 0; i < x.length; i++) {
      x[i] = random.nextFloat() * 2 - 1;
    }
    return x;
  }

  /** [N, T, F] -> [T, N, F]. */
  static float[] toTimeMajor(float[] batchMajor, int features) {
    float[] out = new float[batchMajor.length];
    for (int n = 0; n < BATCH; n++) {
      for (int t = 0; t < STEPS; t++) {
        System.arraycopy(batchMajor, (n * STEPS + t) * features, out, (t * BATCH + n) * features, features);
      }
    }
    return out;
  }

  static void assertClose(float[] ort, float[] rill, String what) {
    assertEquals(ort.length, rill.length, what + ": length");
    for (int i = 0; i < ort.length; i++) {
      assertTrue(Math.abs(ort[i] - rill[i]) <= ATOL + RTOL * Math.abs(ort[i]),
          what + "[" + i + "]: ORT " + ort[i] + ", Rill " + rill[i]);
    }
  }

  private RillModel importFile(ModelProto model) throws Exception {
    Path file = dir.resolve("model.onnx");
    Files.write(file, model.toByteArray());
    return OnnxImporter.importModel(file);
  }

  @Test
  void sequenceOutputWithFinalStateOutputsImportsTheDataPath() throws Exception {
    ModelProto onnx = sequenceWithFinalStates("");
    RillModel imported = importFile(onnx);
    assertEquals("output", imported.getIo().getOutputName());
    assertTrue(imported.getMetadataOrThrow("onnx.output.h_n").startsWith("final states of recurrent layers [0, 1]"),
        imported.getMetadataMap().toString());
    assertTrue(imported.getMetadataOrThrow("onnx.output.c_n").contains("read it from the State"),
        imported.getMetadataMap().toString());

    float[] x = randomInput();
    Map<String, float[]> ort = runOrt(onnx, x, null, false);
    try (Model rill = Model.of(imported)) {
      SequenceResult r = rill.run(SequenceBatch.ofVectors(toTimeMajor(x, X), STEPS, BATCH));
      assertClose(toTimeMajor(ort.get("output"), CLASSES), r.output(), "output");
      // h_n is [2, N, H]: layer 0 then layer 1, each [1, N, H] as Rill's State lays it out.
      assertClose(ort.get("h_n"), concat(r.finalState().hidden(0), r.finalState().hidden(1)), "h_n");
      assertClose(ort.get("c_n"), concat(r.finalState().cell(0), r.finalState().cell(1)), "c_n");
    }
  }

  @Test
  void sequenceLensThroughCastFromAGraphInputIsARunTimeInput() throws Exception {
    ModelProto onnx = sequenceWithFinalStates("lengths");
    RillModel imported = importFile(onnx);
    assertEquals("x", imported.getIo().getInputName());
    for (int k = 0; k < 2; k++) {
      String note = imported.getMetadataOrThrow("onnx.layer." + k + ".sequence_lens");
      assertTrue(note.contains("graph input 'lengths' through Cast '/Cast'"), note);
    }
    float[] x = randomInput();
    long[] lengths = {STEPS, 4, 1};
    Map<String, float[]> ort = runOrt(onnx, x, lengths, false);
    try (Model rill = Model.of(imported)) {
      SequenceResult r = rill.run(SequenceBatch.ofVectors(toTimeMajor(x, X), STEPS, BATCH)
          .withLengths(new int[] {STEPS, 4, 1}));
      // Past each length ORT's LSTM outputs zeros and the Linear adds its bias; Rill zeroes its whole output
      // there (see OnnxExporter). So compare the valid steps, and the final states, which both stop at the length.
      float[] ortOut = toTimeMajor(ort.get("output"), CLASSES);
      float[] rillOut = r.output();
      for (int t = 0; t < STEPS; t++) {
        for (int n = 0; n < BATCH; n++) {
          if (t < lengths[n]) {
            int at = (t * BATCH + n) * CLASSES;
            assertClose(java.util.Arrays.copyOfRange(ortOut, at, at + CLASSES),
                java.util.Arrays.copyOfRange(rillOut, at, at + CLASSES), "output t=" + t + " n=" + n);
          }
        }
      }
      assertClose(ort.get("h_n"), concat(r.finalState().hidden(0), r.finalState().hidden(1)), "h_n");
      assertClose(ort.get("c_n"), concat(r.finalState().cell(0), r.finalState().cell(1)), "c_n");
    }
  }

  @Test
  void lastLayersFinalHiddenStateIsTheOutputAtEachSequencesLastStep() throws Exception {
    ModelProto onnx = manyToOne("lengths", "forward");
    RillModel imported = importFile(onnx);
    assertEquals("logits", imported.getIo().getOutputName());
    String note = imported.getMetadataOrThrow("onnx.output.logits");
    assertTrue(note.contains("at the last step of each sequence it equals the ONNX output"), note);
    assertTrue(imported.getIo().getDescription().contains("last step"), imported.getIo().getDescription());

    float[] x = randomInput();
    int[] lengths = {STEPS, 5, 2};
    Map<String, float[]> ort = runOrt(onnx, x, java.util.Arrays.stream(lengths).asLongStream().toArray(), true);
    try (Model rill = Model.of(imported)) {
      SequenceResult r = rill.run(SequenceBatch.ofVectors(toTimeMajor(x, X), STEPS, BATCH).withLengths(lengths));
      float[] atLastStep = new float[BATCH * CLASSES];
      for (int n = 0; n < BATCH; n++) {
        System.arraycopy(r.output(), ((lengths[n] - 1) * BATCH + n) * CLASSES, atLastStep, n * CLASSES, CLASSES);
      }
      assertClose(ort.get("logits"), atLastStep, "logits");
    }
  }

  @Test
  void finalStateOfABidirectionalLastLayerIsRefusedWithTheReason() {
    OnnxImportException e = assertThrows(OnnxImportException.class,
        () -> importFile(manyToOne("", "bidirectional")));
    // h_n[-1] of a bidirectional layer is the backward direction's state after the whole sequence: no step of
    // Rill's streaming output holds it.
    assertTrue(e.getMessage().contains("final hidden state of recurrent layer 1 (backward)"), e.getMessage());
    assertTrue(e.getMessage().contains("--node"), e.getMessage());
  }

  @Test
  void theExportersSequenceLengthMaskAfterDenseLayersIsRefusedAsOutOfScope() throws Exception {
    RillModel model = new dev.rill.runtime.testing.RandomModels(8).vectorInput(4)
        .lstm(5, dev.rill.format.proto.Direction.FORWARD).dense(3, dev.rill.format.proto.OutputActivation.NONE)
        .build();
    Path file = dir.resolve("masked.onnx");
    new dev.rill.converter.onnx.export.OnnxExporter(dev.rill.converter.onnx.export.ExportOptions.ALL_INPUTS)
        .export(model, file);
    OnnxImportException e = assertThrows(OnnxImportException.class, () -> OnnxImporter.importModel(file));
    assertTrue(e.getMessage().contains("from graph input 'sequence_lens', the sequence_lens of a recurrent node"),
        e.getMessage());
    assertTrue(e.getMessage().contains("out of scope"), e.getMessage());
  }

  private static float[] concat(float[] a, float[] b) {
    float[] out = java.util.Arrays.copyOf(a, a.length + b.length);
    System.arraycopy(b, 0, out, a.length, b.length);
    return out;
  }
}
