package dev.rill.converter.onnx.export;

import static dev.rill.runtime.testing.RandomModels.activation;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.rill.converter.onnx.proto.AttributeProto;
import dev.rill.converter.onnx.proto.ModelProto;
import dev.rill.converter.onnx.proto.NodeProto;
import dev.rill.converter.onnx.proto.TensorProto;
import dev.rill.format.ModelFormatException;
import dev.rill.format.Tensors;
import dev.rill.format.proto.ActivationKind;
import dev.rill.format.proto.DataType;
import dev.rill.format.proto.Direction;
import dev.rill.format.proto.OutputActivation;
import dev.rill.format.proto.RillModel;
import dev.rill.format.proto.Tensor;
import dev.rill.runtime.testing.RandomModels;
import dev.rill.runtime.testing.RandomModels.Options;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The structure of exported graphs; {@code dev.rill.tests.OnnxExportOracleTest} checks what they compute. */
class OnnxExporterTest {

  @Test
  void headerDeclaresOpsetIrVersionAndKeepsMetadata() throws Exception {
    RillModel model = new RandomModels(1).vectorInput(3).lstm(4, Direction.FORWARD)
        .metadata("source", "unit test").build();
    ModelProto onnx = new OnnxExporter().export(model);
    assertEquals(8, onnx.getIrVersion());
    assertEquals(1, onnx.getOpsetImportCount());
    assertEquals("", onnx.getOpsetImport(0).getDomain());
    assertEquals(17, onnx.getOpsetImport(0).getVersion());
    assertEquals("rill", onnx.getProducerName());
    assertEquals("unit test", onnx.getMetadataProps(0).getValue());
    assertEquals(List.of("input"), onnx.getGraph().getInputList().stream().map(v -> v.getName()).toList());
    assertEquals(List.of("output", "Y_h_0", "Y_c_0"),
        onnx.getGraph().getOutputList().stream().map(v -> v.getName()).toList());
  }

  @Test
  void recurrentNodeCarriesEveryAttributeAndCanonicalWeights() throws Exception {
    RillModel model = new RandomModels(2).vectorInput(3)
        .lstm(4, Direction.BIDIRECTIONAL, Options.DEFAULT.withPeepholes().withInputForget().withClip(2.5f))
        .build();
    ModelProto onnx = new OnnxExporter(ExportOptions.ALL_INPUTS).export(model);
    NodeProto lstm = node(onnx, "LSTM");
    Map<String, AttributeProto> attributes = attributes(lstm);
    assertEquals("bidirectional", attributes.get("direction").getS().toStringUtf8());
    assertEquals(4, attributes.get("hidden_size").getI());
    assertEquals(2.5f, attributes.get("clip").getF());
    assertEquals(1, attributes.get("input_forget").getI());
    assertTrue(!attributes.containsKey("activations"), "default activations are not written");
    assertTrue(!attributes.containsKey("layout"), "layout 0 is the default");
    assertEquals(List.of("input", "rill/lstm0/W", "rill/lstm0/R", "rill/lstm0/B", "sequence_lens", "initial_h_0",
        "initial_c_0", "rill/lstm0/P"), lstm.getInputList());
    assertEquals(List.of("rill/lstm0/Y", "Y_h_0", "Y_c_0"), lstm.getOutputList());
    // Rill's canonical layout is ONNX's: the data is copied unchanged.
    assertInitializer(onnx, "rill/lstm0/W", tensor(model, "lstm0.w"), 2, 16, 3);
    assertInitializer(onnx, "rill/lstm0/R", tensor(model, "lstm0.r"), 2, 16, 4);
    assertInitializer(onnx, "rill/lstm0/B", tensor(model, "lstm0.b"), 2, 32);
    assertInitializer(onnx, "rill/lstm0/P", tensor(model, "lstm0.p"), 2, 12);
  }

  @Test
  void activationsListAlphaAndBetaOnlyForTheFunctionsThatTakeThem() throws Exception {
    RillModel model = new RandomModels(3).vectorInput(3).lstm(4, Direction.FORWARD, Options.DEFAULT.withActivations(
        List.of(activation(ActivationKind.HARD_SIGMOID, 0.3f, 0.4f), activation(ActivationKind.TANH, 0, 0),
            activation(ActivationKind.AFFINE, 2f, 1f)))).build();
    Map<String, AttributeProto> attributes = attributes(node(new OnnxExporter().export(model), "LSTM"));
    assertEquals(List.of("HardSigmoid", "Tanh", "Affine"), attributes.get("activations").getStringsList().stream()
        .map(s -> s.toStringUtf8()).toList());
    assertEquals(List.of(0.3f, 2f), attributes.get("activation_alpha").getFloatsList());
    assertEquals(List.of(0.4f, 1f), attributes.get("activation_beta").getFloatsList());
  }

  @Test
  void gruWritesLinearBeforeResetAndReshapesTwoDirections() throws Exception {
    RillModel model = new RandomModels(4).vectorInput(3)
        .gru(5, Direction.BIDIRECTIONAL, Options.DEFAULT.withLinearBeforeReset()).build();
    ModelProto onnx = new OnnxExporter().export(model);
    assertEquals(1, attributes(node(onnx, "GRU")).get("linear_before_reset").getI());
    assertEquals(List.of(0L, 2L, 1L, 3L), attributes(node(onnx, "Transpose")).get("perm").getIntsList());
    NodeProto reshape = node(onnx, "Reshape");
    assertEquals("output", reshape.getOutput(0), "the last node produces the model output directly");
    assertInitializerValues(onnx, reshape.getInput(1), TensorProto.DataType.INT64, new long[] {0, 0, 10});
  }

  @Test
  void denseWeightIsTransposedForMatMul() throws Exception {
    RillModel model = new RandomModels(5).vectorInput(3).rnn(2, Direction.FORWARD, Options.DEFAULT)
        .dense(4, OutputActivation.SOFTMAX).build();
    ModelProto onnx = new OnnxExporter().export(model);
    float[] weight = tensor(model, "dense1.weight"); // [4, 2]
    float[] transposed = new float[8];
    for (int o = 0; o < 4; o++) {
      for (int i = 0; i < 2; i++) {
        transposed[i * 4 + o] = weight[o * 2 + i];
      }
    }
    assertInitializer(onnx, "rill/dense1/weight", transposed, 2, 4);
    assertEquals(-1, attributes(node(onnx, "Softmax")).get("axis").getI());
    assertEquals("output", node(onnx, "Softmax").getOutput(0));
  }

  @Test
  void reducedPrecisionWeightsAreDequantised() throws Exception {
    RillModel fp32 = new RandomModels(6).vectorInput(3).lstm(4, Direction.FORWARD).build();
    RillModel.Builder quantised = fp32.toBuilder();
    for (int i = 0; i < quantised.getTensorsCount(); i++) {
      Tensor t = quantised.getTensors(i);
      long[] shape = t.getShapeList().stream().mapToLong(Long::longValue).toArray();
      if (t.getName().endsWith(".w")) {
        quantised.setTensors(i, Tensors.bf16(t.getName(), Tensors.toFloats(t), shape));
      } else if (t.getName().endsWith(".r")) {
        quantised.setTensors(i, Tensors.int8(t.getName(), Tensors.toFloats(t), shape));
      }
    }
    RillModel model = quantised.build();
    assertEquals(DataType.BFLOAT16, model.getTensorsList().stream().filter(t -> t.getName().equals("lstm0.w"))
        .findFirst().orElseThrow().getDtype());
    ModelProto onnx = new OnnxExporter().export(model);
    assertInitializer(onnx, "rill/lstm0/W", tensor(model, "lstm0.w"), 1, 16, 3);
    assertInitializer(onnx, "rill/lstm0/R", tensor(model, "lstm0.r"), 1, 16, 4);
  }

  @Test
  void tokenModelGathersFromTheEmbedding() throws Exception {
    RillModel model = new RandomModels(7).tokenInput(9, 3).rnn(4, Direction.FORWARD, Options.DEFAULT).build();
    ModelProto onnx = new OnnxExporter().export(model);
    assertEquals(TensorProto.DataType.INT64.getNumber(),
        onnx.getGraph().getInput(0).getType().getTensorType().getElemType());
    assertEquals(List.of("rill/embedding/weight", "tokens"), node(onnx, "Gather").getInputList());
  }

  @Test
  void minimalGruWithClipIsRefusedNamingTheLayer() {
    RillModel model = new RandomModels(8).vectorInput(3)
        .minimalGru(4, Direction.FORWARD, Options.DEFAULT.withClip(1f)).build();
    OnnxExportException e = assertThrows(OnnxExportException.class, () -> new OnnxExporter().export(model));
    assertTrue(e.getMessage().contains("'mgru0'") && e.getMessage().contains("clip"), e.getMessage());
  }

  @Test
  void minimalGruWithAnotherUpdateActivationIsRefused() {
    RillModel model = new RandomModels(9).vectorInput(3).minimalGru(4, Direction.FORWARD,
        Options.DEFAULT.withActivations(List.of(activation(ActivationKind.RELU, 0, 0),
            activation(ActivationKind.TANH, 0, 0)))).build();
    OnnxExportException e = assertThrows(OnnxExportException.class, () -> new OnnxExporter().export(model));
    assertTrue(e.getMessage().contains("'mgru0'") && e.getMessage().contains("RELU"), e.getMessage());
  }

  @Test
  void invalidModelIsRefusedBeforeExport() {
    RillModel model = new RandomModels(10).vectorInput(3).lstm(4, Direction.FORWARD).build().toBuilder()
        .removeTensors(0).build();
    assertThrows(ModelFormatException.class, () -> new OnnxExporter().export(model));
  }

  @Test
  void exportToFileLeavesOnlyTheTarget(@TempDir Path dir) throws Exception {
    RillModel model = new RandomModels(11).vectorInput(3).gru(4, Direction.REVERSE, Options.DEFAULT).build();
    Path target = dir.resolve("model.onnx");
    new OnnxExporter().export(model, target);
    assertEquals(new OnnxExporter().export(model), ModelProto.parseFrom(Files.readAllBytes(target)));
    try (var files = Files.list(dir)) {
      assertEquals(List.of(target), files.toList());
    }
  }

  @Test
  void stateOutputsCanBeLeftOut() throws Exception {
    RillModel model = new RandomModels(12).vectorInput(3).lstm(4, Direction.FORWARD).build();
    ModelProto onnx = new OnnxExporter(ExportOptions.DEFAULT.withoutStateOutputs()).export(model);
    assertEquals(List.of("output"), onnx.getGraph().getOutputList().stream().map(v -> v.getName()).toList());
    assertEquals(List.of("rill/lstm0/Y"), node(onnx, "LSTM").getOutputList());
  }

  @Test
  void sequenceLengthsMaskOnlyWhatFollowsTheLastRecurrentLayer() throws Exception {
    ExportOptions lengths = ExportOptions.DEFAULT.withSequenceLengths();
    RillModel recurrentLast = new RandomModels(13).vectorInput(3).gru(4, Direction.FORWARD, Options.DEFAULT).build();
    assertTrue(new OnnxExporter(lengths).export(recurrentLast).getGraph().getNodeList().stream()
        .noneMatch(n -> n.getOpType().equals("Mul")), "Y is already zero past each length");
    RillModel denseLast = new RandomModels(14).vectorInput(3).gru(4, Direction.FORWARD, Options.DEFAULT)
        .dense(2, OutputActivation.OUTPUT_SIGMOID).build();
    ModelProto onnx = new OnnxExporter(lengths).export(denseLast);
    assertEquals("output", node(onnx, "Mul").getOutput(0));
    assertEquals(List.of("sequence_lens"), node(onnx, "Cast").getInputList());
  }

  @Test
  void initialStateNamesRoundTrip() {
    assertEquals(3, OnnxExporter.initialStateLayer(OnnxExporter.initialHiddenName(3)));
    assertEquals(0, OnnxExporter.initialStateLayer(OnnxExporter.initialCellName(0)));
    assertEquals(-1, OnnxExporter.initialStateLayer("initial_h_"));
    assertEquals(-1, OnnxExporter.initialStateLayer("initial_h_01"));
    assertEquals(-1, OnnxExporter.initialStateLayer("input"));
  }

  private static NodeProto node(ModelProto onnx, String opType) {
    return onnx.getGraph().getNodeList().stream().filter(n -> n.getOpType().equals(opType)).findFirst()
        .orElseThrow(() -> new AssertionError("no " + opType + " node"));
  }

  private static Map<String, AttributeProto> attributes(NodeProto node) {
    return node.getAttributeList().stream().collect(Collectors.toMap(AttributeProto::getName, a -> a));
  }

  private static float[] tensor(RillModel model, String name) {
    return Tensors.toFloats(model.getTensorsList().stream().filter(t -> t.getName().equals(name)).findFirst()
        .orElseThrow());
  }

  private static TensorProto initializer(ModelProto onnx, String name) {
    return onnx.getGraph().getInitializerList().stream().filter(t -> t.getName().equals(name)).findFirst()
        .orElseThrow(() -> new AssertionError("no initializer " + name));
  }

  private static void assertInitializer(ModelProto onnx, String name, float[] expected, long... dims) {
    TensorProto t = initializer(onnx, name);
    assertEquals(TensorProto.DataType.FLOAT.getNumber(), t.getDataType(), name);
    assertEquals(java.util.Arrays.stream(dims).boxed().toList(), t.getDimsList(), name + " dims");
    float[] actual = new float[expected.length];
    ByteBuffer.wrap(t.getRawData().toByteArray()).order(ByteOrder.LITTLE_ENDIAN).asFloatBuffer().get(actual);
    assertArrayEquals(expected, actual, name);
  }

  private static void assertInitializerValues(ModelProto onnx, String name, TensorProto.DataType type,
      long[] expected) {
    TensorProto t = initializer(onnx, name);
    assertEquals(type.getNumber(), t.getDataType());
    long[] actual = new long[expected.length];
    ByteBuffer.wrap(t.getRawData().toByteArray()).order(ByteOrder.LITTLE_ENDIAN).asLongBuffer().get(actual);
    assertArrayEquals(expected, actual);
  }
}
