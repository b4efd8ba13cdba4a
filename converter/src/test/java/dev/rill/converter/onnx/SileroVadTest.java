package dev.rill.converter.onnx;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.rill.converter.json.Json;
import dev.rill.converter.onnx.proto.ModelProto;
import dev.rill.converter.onnx.proto.TensorProto;
import dev.rill.format.Tensors;
import dev.rill.format.proto.Layer;
import dev.rill.format.proto.RillModel;
import dev.rill.runtime.Model;
import dev.rill.runtime.SequenceBatch;
import dev.rill.runtime.SequenceResult;
import dev.rill.runtime.testing.SharedFixtures;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/**
 * The LSTM layer of the real Silero VAD model: its weights are built inside an If branch from PyTorch-layout
 * initializers by Slice + Concat + Unsqueeze, so importing it by node name exercises the constant folder on a
 * real exporter graph. The golden vectors come from ONNX Runtime.
 */
class SileroVadTest {

  static final String LSTM_NODE = "/model/decoder/rnn/LSTM";
  static final String OTHER_BRANCH_LSTM_NODE = "/model/decoder/rnn_1/LSTM";

  private static Path model() {
    return SharedFixtures.require("fixtures/models/silero_vad_16k_op15.onnx");
  }

  private static RillModel importNode(String node) throws OnnxImportException {
    return importNode(model(), node);
  }

  private static RillModel importNode(Path model, String node) throws OnnxImportException {
    return OnnxImporter.importModel(model, OnnxImportOptions.builder().nodes(List.of(node)).build());
  }

  @Test
  void lstmLayerMatchesTheGoldenVectorsOverSixSteps() throws Exception {
    Path golden = SharedFixtures.require("fixtures/models/silero_vad_16k_op15.lstm_layer.json");
    Map<String, Object> json = Json.parseObject(Files.readString(golden));
    float[] x = values(json, "inputs", "X");
    RillModel imported = importNode(LSTM_NODE);
    try (Model model = Model.of(imported)) {
      assertEquals(128, model.inputSize());
      assertEquals(128, model.outputSize());
      SequenceResult r = model.run(SequenceBatch.ofVectors(x, 6, 1));
      assertClose(values(json, "outputs", "Y"), r.layerOutput(0), "Y");
      assertClose(values(json, "outputs", "Y"), r.output(), "output");
      assertClose(values(json, "outputs", "Y_h"), r.finalState().hidden(0), "Y_h");
      assertClose(values(json, "outputs", "Y_c"), r.finalState().cell(0), "Y_c");
    }
  }

  @Test
  void foldedWeightsAreTheInitializersReorderedToOnnxGateOrder() throws Exception {
    // Independent of the folder: read the PyTorch LSTMCell initializers and reorder i,f,g,o -> i,o,f,c by hand.
    ModelProto onnx = OnnxFiles.readModel(model());
    Map<String, TensorProto> init = new java.util.HashMap<>();
    onnx.getGraph().getInitializerList().forEach(t -> init.put(t.getName(), t));
    float[] wih = OnnxTensors.toFloats(init.get("model.decoder.rnn.weight_ih"), null, 1 << 20);
    float[] whh = OnnxTensors.toFloats(init.get("model.decoder.rnn.weight_hh"), null, 1 << 20);
    float[] bih = OnnxTensors.toFloats(init.get("model.decoder.rnn.bias_ih"), null, 1 << 20);
    float[] bhh = OnnxTensors.toFloats(init.get("model.decoder.rnn.bias_hh"), null, 1 << 20);
    int h = 128;
    int[] blocks = {0, 3, 1, 2}; // ONNX gate k comes from PyTorch block blocks[k]
    float[] w = new float[4 * h * h];
    float[] r = new float[4 * h * h];
    float[] b = new float[8 * h];
    for (int k = 0; k < 4; k++) {
      System.arraycopy(wih, blocks[k] * h * h, w, k * h * h, h * h);
      System.arraycopy(whh, blocks[k] * h * h, r, k * h * h, h * h);
      System.arraycopy(bih, blocks[k] * h, b, k * h, h);
      System.arraycopy(bhh, blocks[k] * h, b, 4 * h + k * h, h);
    }
    for (String node : List.of(LSTM_NODE, OTHER_BRANCH_LSTM_NODE)) {
      RillModel m = importNode(node);
      Layer lstm = m.getLayers(1);
      assertTrue(lstm.hasLstm(), node);
      assertArrayEquals(w, tensor(m, lstm.getLstm().getRecurrent().getW()), node + " W");
      assertArrayEquals(r, tensor(m, lstm.getLstm().getRecurrent().getR()), node + " R");
      assertArrayEquals(b, tensor(m, lstm.getLstm().getRecurrent().getB()), node + " B");
      assertEquals(node, m.getMetadataOrThrow("onnx.layer.0.node"));
    }
  }

  @Test
  void wholeModelImportNamesTheOperatorsRillDoesNotRun() {
    Path model = model(); // outside assertThrows, so that a missing fixture skips instead of failing
    OnnxImportException e = assertThrows(OnnxImportException.class, () -> OnnxImporter.importModel(model));
    assertTrue(e.getMessage().contains("Conv"), e.getMessage());
    assertTrue(e.getMessage().contains("--node"), e.getMessage());
    assertTrue(e.getMessage().contains(LSTM_NODE), e.getMessage());
  }

  @Test
  void unknownNodeNameListsTheRecurrentNodes() {
    Path model = model();
    OnnxImportException e = assertThrows(OnnxImportException.class, () -> importNode(model, "no/such/node"));
    assertTrue(e.getMessage().contains("no node named 'no/such/node'"), e.getMessage());
    assertTrue(e.getMessage().contains(OTHER_BRANCH_LSTM_NODE), e.getMessage());
  }

  @Test
  void nonRecurrentNodeIsRefusedByName() {
    Path model = model();
    OnnxImportException e = assertThrows(OnnxImportException.class,
        () -> importNode(model, "/model/decoder/rnn/Concat_4"));
    assertTrue(e.getMessage().contains("is a Concat node"), e.getMessage());
  }

  private static float[] tensor(RillModel m, String name) {
    return Tensors.toFloats(m.getTensorsList().stream().filter(t -> t.getName().equals(name)).findFirst()
        .orElseThrow());
  }

  @SuppressWarnings("unchecked")
  private static float[] values(Map<String, Object> json, String list, String name) {
    for (Object o : (List<Object>) json.get(list)) {
      Map<String, Object> t = (Map<String, Object>) o;
      if (t.get("name").equals(name)) {
        List<Object> v = (List<Object>) t.get("values");
        float[] out = new float[v.size()];
        for (int i = 0; i < out.length; i++) {
          out[i] = ((Number) v.get(i)).floatValue();
        }
        return out;
      }
    }
    throw new AssertionError("no " + name + " in " + list);
  }

  private static void assertClose(float[] expected, float[] actual, String what) {
    assertEquals(expected.length, actual.length, what + " length");
    for (int i = 0; i < expected.length; i++) {
      assertEquals(expected[i], actual[i], 1e-5, what + "[" + i + "]");
    }
  }
}
