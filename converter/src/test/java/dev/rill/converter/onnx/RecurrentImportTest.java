package dev.rill.converter.onnx;

import static dev.rill.converter.onnx.OnnxModels.attr;
import static dev.rill.converter.onnx.OnnxModels.floatList;
import static dev.rill.converter.onnx.OnnxModels.floats;
import static dev.rill.converter.onnx.OnnxModels.node;
import static dev.rill.converter.onnx.OnnxModels.random;
import static dev.rill.converter.onnx.OnnxModels.strings;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.rill.converter.onnx.proto.AttributeProto;
import dev.rill.converter.onnx.proto.GraphProto;
import dev.rill.converter.onnx.proto.ModelProto;
import dev.rill.converter.onnx.proto.NodeProto;
import dev.rill.converter.onnx.proto.TensorProto;
import dev.rill.format.Tensors;
import dev.rill.format.proto.Activation;
import dev.rill.format.proto.ActivationKind;
import dev.rill.format.proto.DataType;
import dev.rill.format.proto.Direction;
import dev.rill.format.proto.Layer;
import dev.rill.format.proto.Recurrent;
import dev.rill.format.proto.RillModel;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Every attribute and input of the ONNX LSTM, GRU and RNN operators, mapped to the Rill schema. */
class RecurrentImportTest {

  private static final int X = 3;
  private static final int H = 2;

  @TempDir
  Path dir;

  /** A model with one recurrent node named "rnn"; weights are initializers W, R, B (and P for LSTM). */
  private static ModelProto single(String op, int d, boolean withP, List<String> extraInputs, AttributeProto... attrs) {
    int g = RecurrentNode.gates(op);
    Random rnd = new Random(op.hashCode() + d);
    List<TensorProto> inits = new ArrayList<>(List.of(
        floats("W", random(rnd, d * g * H * X, 1f), d, g * H, X),
        floats("R", random(rnd, d * g * H * H, 1f), d, g * H, H),
        floats("B", random(rnd, d * 2 * g * H, 1f), d, 2L * g * H)));
    List<String> inputs = new ArrayList<>(List.of("X", "W", "R", "B"));
    inputs.addAll(extraInputs);
    if (withP) {
      inits.add(floats("P", random(rnd, d * 3 * H, 1f), d, 3L * H));
      while (inputs.size() < 7) {
        inputs.add("");
      }
      inputs.add("P");
    }
    List<AttributeProto> all = new ArrayList<>(List.of(attrs));
    if (all.stream().noneMatch(a -> a.getName().equals("hidden_size"))) {
      all.add(attr("hidden_size", (long) H));
    }
    GraphProto.Builder g1 = GraphProto.newBuilder().addAllInitializer(inits)
        .addNode(node(op, "rnn", inputs, List.of("Y", "Y_h"), all.toArray(AttributeProto[]::new)))
        .addInput(OnnxModels.value("X", 1, "T", "N", (long) X)).addOutput(OnnxModels.value("Y", 1));
    for (String extra : extraInputs) {
      if (!extra.isEmpty()) {
        g1.addInput(OnnxModels.value(extra, 1));
      }
    }
    return OnnxModels.model(g1.build(), 22);
  }

  private RillModel importNode(ModelProto m) throws Exception {
    return importNode(m, OnnxImportOptions.builder().nodes(List.of("rnn")).build());
  }

  private RillModel importNode(ModelProto m, OnnxImportOptions options) throws Exception {
    return OnnxImporter.importModel(OnnxModels.write(dir, "m.onnx", m), options);
  }

  private void assertImportFails(String fragment, ModelProto m) {
    OnnxImportException e = assertThrows(OnnxImportException.class, () -> importNode(m));
    assertTrue(e.getMessage().contains(fragment), e.getMessage());
  }

  private static Recurrent recurrent(Layer layer) {
    return switch (layer.getKindCase()) {
      case LSTM -> layer.getLstm().getRecurrent();
      case GRU -> layer.getGru().getRecurrent();
      default -> layer.getRnn().getRecurrent();
    };
  }

  private static float[] tensor(RillModel m, String name) {
    return Tensors.toFloats(m.getTensorsList().stream().filter(t -> t.getName().equals(name)).findFirst()
        .orElseThrow());
  }

  private static float[] initializer(ModelProto m, String name) throws Exception {
    return OnnxTensors.toFloats(m.getGraph().getInitializerList().stream().filter(t -> t.getName().equals(name))
        .findFirst().orElseThrow(), null, 1 << 20);
  }

  @Test
  void weightsAndDefaultsCarryOverUnchangedForEachOperator() throws Exception {
    for (String op : List.of("LSTM", "GRU", "RNN")) {
      ModelProto m = single(op, 1, false, List.of());
      RillModel r = importNode(m);
      assertEquals(2, r.getLayersCount(), op);
      assertEquals(X, r.getLayers(0).getInput().getSize());
      Layer layer = r.getLayers(1);
      assertEquals("rnn", layer.getName());
      Recurrent rec = recurrent(layer);
      assertEquals(Direction.FORWARD, rec.getDirection(), op);
      assertEquals(H, rec.getHiddenSize());
      assertEquals(X, rec.getInputSize());
      assertFalse(rec.hasClip());
      assertEquals(0, rec.getActivations().getFunctionsCount());
      assertArrayEquals(initializer(m, "W"), tensor(r, rec.getW()), op);
      assertArrayEquals(initializer(m, "R"), tensor(r, rec.getR()), op);
      assertArrayEquals(initializer(m, "B"), tensor(r, rec.getB()), op);
      assertEquals("rnn", r.getMetadataOrThrow("onnx.layer.0.node"));
      assertEquals("22", r.getMetadataOrThrow("onnx.opset"));
      assertEquals("m.onnx", r.getMetadataOrThrow("source"));
    }
  }

  @Test
  void directions() throws Exception {
    assertEquals(Direction.REVERSE, recurrent(importNode(single("GRU", 1, false, List.of(),
        attr("direction", "reverse"))).getLayers(1)).getDirection());
    ModelProto bi = single("LSTM", 2, false, List.of(), attr("direction", "bidirectional"));
    RillModel r = importNode(bi);
    assertEquals(Direction.BIDIRECTIONAL, recurrent(r.getLayers(1)).getDirection());
    assertArrayEquals(initializer(bi, "W"), tensor(r, recurrent(r.getLayers(1)).getW()));
    assertEquals(2 * H, r.getIo().getOutputSize());
    assertImportFails("direction 'sideways' is not forward, reverse or bidirectional",
        single("RNN", 1, false, List.of(), attr("direction", "sideways")));
    assertImportFails("W has shape [1, 8, 3], expected [2, 8, 3]",
        single("LSTM", 1, false, List.of(), attr("direction", "bidirectional")));
  }

  @Test
  void activationsConsumeAlphaAndBetaInOrderWithOnnxDefaults() throws Exception {
    RillModel r = importNode(single("LSTM", 2, false, List.of(), attr("direction", "bidirectional"),
        strings("activations", "HardSigmoid", "LeakyRelu", "ScaledTanh", "Affine", "ThresholdedRelu", "Elu"),
        floatList("activation_alpha", 0.3f, 0.02f, 1.5f, 2f), floatList("activation_beta", 0.6f, 0.7f)));
    List<Activation> f = recurrent(r.getLayers(1)).getActivations().getFunctionsList();
    assertEquals(List.of(
        act(ActivationKind.HARD_SIGMOID, 0.3f, 0.6f), act(ActivationKind.LEAKY_RELU, 0.02f, 0f),
        act(ActivationKind.SCALED_TANH, 1.5f, 0.7f), act(ActivationKind.AFFINE, 2f, 0f),
        act(ActivationKind.THRESHOLDED_RELU, 1f, 0f), act(ActivationKind.ELU, 1f, 0f)), f);
  }

  @Test
  void activationNamesAreCaseInsensitiveAndOneListServesBothDirections() throws Exception {
    RillModel r = importNode(single("GRU", 2, false, List.of(), attr("direction", "bidirectional"),
        strings("activations", "softsign", "SOFTPLUS")));
    assertEquals(List.of(act(ActivationKind.SOFTSIGN, 0f, 0f), act(ActivationKind.SOFTPLUS, 0f, 0f),
        act(ActivationKind.SOFTSIGN, 0f, 0f), act(ActivationKind.SOFTPLUS, 0f, 0f)),
        recurrent(r.getLayers(1)).getActivations().getFunctionsList());
    RillModel relu = importNode(single("RNN", 1, false, List.of(), strings("activations", "Relu")));
    assertEquals(List.of(act(ActivationKind.RELU, 0f, 0f)),
        recurrent(relu.getLayers(1)).getActivations().getFunctionsList());
    RillModel defaults = importNode(single("LSTM", 1, false, List.of(),
        strings("activations", "Sigmoid", "Tanh", "Tanh")));
    assertEquals(0, recurrent(defaults.getLayers(1)).getActivations().getFunctionsCount());
    assertImportFails("unknown activation function 'Swish'",
        single("RNN", 1, false, List.of(), strings("activations", "Swish")));
    assertImportFails("activations has 2 entries [Sigmoid, Tanh], expected 3",
        single("LSTM", 1, false, List.of(), strings("activations", "Sigmoid", "Tanh")));
    assertImportFails("activation_alpha/activation_beta given without activations",
        single("RNN", 1, false, List.of(), floatList("activation_alpha", 1f)));
  }

  private static Activation act(ActivationKind kind, float alpha, float beta) {
    return Activation.newBuilder().setKind(kind).setAlpha(alpha).setBeta(beta).build();
  }

  @Test
  void clipInputForgetLinearBeforeResetAndPeepholes() throws Exception {
    assertEquals(2.5f, recurrent(importNode(single("RNN", 1, false, List.of(), attr("clip", 2.5f))).getLayers(1))
        .getClip());
    assertImportFails("clip 0.0 is not a finite positive number",
        single("GRU", 1, false, List.of(), attr("clip", 0f)));
    assertImportFails("clip -1.0", single("GRU", 1, false, List.of(), attr("clip", -1f)));
    assertTrue(importNode(single("LSTM", 1, false, List.of(), attr("input_forget", 1L))).getLayers(1).getLstm()
        .getInputForget());
    assertImportFails("input_forget 2 is not 0 or 1", single("LSTM", 1, false, List.of(), attr("input_forget", 2L)));
    assertTrue(importNode(single("GRU", 1, false, List.of(), attr("linear_before_reset", 1L))).getLayers(1).getGru()
        .getLinearBeforeReset());
    assertFalse(importNode(single("GRU", 1, false, List.of())).getLayers(1).getGru().getLinearBeforeReset());
    assertImportFails("unknown attribute(s) [linear_before_reset]",
        single("LSTM", 1, false, List.of(), attr("linear_before_reset", 1L)));
    ModelProto withP = single("LSTM", 2, true, List.of(), attr("direction", "bidirectional"));
    RillModel r = importNode(withP);
    assertArrayEquals(initializer(withP, "P"), tensor(r, r.getLayers(1).getLstm().getP()));
  }

  @Test
  void layoutAndHiddenSize() throws Exception {
    RillModel batchMajor = importNode(single("LSTM", 1, false, List.of(), attr("layout", 1L)));
    assertEquals(2, batchMajor.getLayersCount());
    assertTrue(batchMajor.getMetadataOrThrow("onnx.layer.0.layout").startsWith("1"));
    assertImportFails("layout 2 is not 0 or 1", single("LSTM", 1, false, List.of(), attr("layout", 2L)));
    assertImportFails("W has shape [1, 8, 3], expected [1, 12, 3]",
        single("LSTM", 1, false, List.of(), attr("hidden_size", 3L)));
    assertImportFails("hidden_size -1 is not positive",
        single("LSTM", 1, false, List.of(), attr("hidden_size", -1L)));
  }

  @Test
  void runtimeInputsAreRecordedInMetadata() throws Exception {
    RillModel r = importNode(single("LSTM", 1, false, List.of("seq_lens", "h0", "c0")));
    assertTrue(r.getMetadataOrThrow("onnx.layer.0.initial_h").contains("'h0'"));
    assertTrue(r.getMetadataOrThrow("onnx.layer.0.initial_c").contains("'c0'"));
    assertTrue(r.getMetadataOrThrow("onnx.layer.0.sequence_lens").contains("'seq_lens'"));
  }

  @Test
  void weightsThatAreGraphInputsAreNotConstants() {
    ModelProto m = single("RNN", 1, false, List.of());
    ModelProto noInit = m.toBuilder().setGraph(m.getGraph().toBuilder().removeInitializer(0)
        .addInput(OnnxModels.value("W", 1, 1L, (long) H, (long) X))).build();
    assertImportFails("input W ('W') is not a constant: it depends on graph input 'W'", noInit);
    ModelProto missing = m.toBuilder().setGraph(m.getGraph().toBuilder().setNode(0,
        m.getGraph().getNode(0).toBuilder().setInput(2, ""))).build();
    assertImportFails("RNN node 'rnn': input R is missing", missing);
  }

  @Test
  void weightTypeAppliesToMatricesOnly() throws Exception {
    RillModel r = importNode(single("LSTM", 1, true, List.of()),
        OnnxImportOptions.builder().nodes(List.of("rnn")).weightType(DataType.BFLOAT16).build());
    Recurrent rec = recurrent(r.getLayers(1));
    assertEquals(DataType.BFLOAT16, dtype(r, rec.getW()));
    assertEquals(DataType.BFLOAT16, dtype(r, rec.getR()));
    assertEquals(DataType.FLOAT32, dtype(r, rec.getB()));
    assertEquals(DataType.FLOAT32, dtype(r, r.getLayers(1).getLstm().getP()));
  }

  private static DataType dtype(RillModel m, String name) {
    return m.getTensorsList().stream().filter(t -> t.getName().equals(name)).findFirst().orElseThrow().getDtype();
  }

  @Test
  void selectedNodesStackInOrder() throws Exception {
    Random rnd = new Random(3);
    NodeProto first = node("GRU", "first", List.of("X", "W1", "R1"), List.of("Y1"), attr("hidden_size", 4L),
        attr("direction", "bidirectional"));
    NodeProto second = node("RNN", "second", List.of("Y1r", "W2", "R2"), List.of("Y2"), attr("hidden_size", 2L));
    GraphProto g = GraphProto.newBuilder().addNode(first).addNode(second)
        .addInitializer(floats("W1", random(rnd, 2 * 12 * X, 1f), 2, 12, X))
        .addInitializer(floats("R1", random(rnd, 2 * 12 * 4, 1f), 2, 12, 4))
        .addInitializer(floats("W2", random(rnd, 2 * 8, 1f), 1, 2, 8))
        .addInitializer(floats("R2", random(rnd, 4, 1f), 1, 2, 2))
        .addInput(OnnxModels.value("X", 1)).addInput(OnnxModels.value("Y1r", 1)).build();
    ModelProto m = OnnxModels.model(g, 14);
    RillModel r = importNode(m, OnnxImportOptions.builder().nodes(List.of("first", "second")).build());
    assertEquals(List.of("input", "first", "second"), r.getLayersList().stream().map(Layer::getName).toList());
    assertEquals(8, recurrent(r.getLayers(2)).getInputSize());
    OnnxImportException e = assertThrows(OnnxImportException.class,
        () -> importNode(m, OnnxImportOptions.builder().nodes(List.of("second", "first")).build()));
    assertTrue(e.getMessage().contains("GRU node 'first' takes 3 inputs, but the layer before it outputs 2"),
        e.getMessage());
    e = assertThrows(OnnxImportException.class,
        () -> importNode(m, OnnxImportOptions.builder().nodes(List.of("first", "first")).build()));
    assertTrue(e.getMessage().contains("named twice"), e.getMessage());
  }

  @Test
  void oldOpsetsAreRefused() {
    ModelProto m = single("LSTM", 1, false, List.of());
    assertImportFails("opset 6", m.toBuilder().setOpsetImport(0, m.getOpsetImport(0).toBuilder().setVersion(6))
        .build());
  }
}
