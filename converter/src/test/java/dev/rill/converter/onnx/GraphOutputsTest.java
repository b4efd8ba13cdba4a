package dev.rill.converter.onnx;

import static dev.rill.converter.onnx.OnnxModels.attr;
import static dev.rill.converter.onnx.OnnxModels.floats;
import static dev.rill.converter.onnx.OnnxModels.int64s;
import static dev.rill.converter.onnx.OnnxModels.node;
import static dev.rill.converter.onnx.OnnxModels.random;
import static dev.rill.converter.onnx.OnnxModels.value;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.rill.converter.onnx.proto.GraphProto;
import dev.rill.converter.onnx.proto.ModelProto;
import dev.rill.converter.onnx.proto.NodeProto;
import dev.rill.format.proto.RillModel;
import java.nio.file.Path;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Which graph output the whole-graph import takes for the data, and what it does with final-state outputs (Y_h,
 * Y_c and what is computed from them), run-time inputs reached through Identity/Cast, and what it refuses.
 * The numbers are checked against ONNX Runtime in the tests module (OnnxFinalStateOutputsTest).
 */
class GraphOutputsTest {

  private static final int X = 3;
  private static final int H = 4;

  @TempDir
  Path dir;

  private final Random rnd = new Random(7);

  /** An LSTM node named name reading x; outputs name_Y, name_Y_h, name_Y_c. */
  private NodeProto lstm(GraphProto.Builder g, String name, String x, int in, String direction, String seqLens,
      String initialH) {
    int d = direction.equals("bidirectional") ? 2 : 1;
    g.addInitializer(floats(name + "_W", random(rnd, d * 4 * H * in, 0.5f), d, 4 * H, in));
    g.addInitializer(floats(name + "_R", random(rnd, d * 4 * H * H, 0.5f), d, 4 * H, H));
    NodeProto n = node("LSTM", name, List.of(x, name + "_W", name + "_R", "", seqLens, initialH),
        List.of(name + "_Y", name + "_Y_h", name + "_Y_c"), attr("hidden_size", (long) H),
        attr("direction", direction));
    g.addNode(n);
    return n;
  }

  /** Y [T, 1, N, H] -> [T, N, H]. */
  private String squeeze(GraphProto.Builder g, String y) {
    if (g.getInitializerList().stream().noneMatch(t -> t.getName().equals("axis1"))) {
      g.addInitializer(int64s("axis1", new long[] {1}, 1));
    }
    g.addNode(node("Squeeze", y + "_sq", List.of(y, "axis1"), List.of(y + "_sq")));
    return y + "_sq";
  }

  private GraphProto.Builder graph() {
    return GraphProto.newBuilder().addInput(value("x", 1, "T", "N", (long) X));
  }

  private RillModel importGraph(GraphProto.Builder g) throws Exception {
    return OnnxImporter.importModel(OnnxModels.write(dir, "m.onnx", OnnxModels.model(g.build(), 17)));
  }

  private void assertRefused(GraphProto.Builder g, String... fragments) {
    OnnxImportException e = assertThrows(OnnxImportException.class, () -> importGraph(g));
    for (String f : fragments) {
      assertTrue(e.getMessage().contains(f), "missing '" + f + "' in: " + e.getMessage());
    }
  }

  @Test
  void finalStateOutputsBesideTheSequenceAreNotedNotTakenForData() throws Exception {
    GraphProto.Builder g = graph();
    lstm(g, "l0", "x", X, "forward", "", "");
    String y = squeeze(g, "l0_Y");
    g.addOutput(value(y, 1)).addOutput(value("l0_Y_h", 1)).addOutput(value("l0_Y_c", 1));
    RillModel m = importGraph(g);
    assertEquals(y, m.getIo().getOutputName());
    assertTrue(m.getMetadataOrThrow("onnx.output.l0_Y_h").startsWith("final hidden state Y_h of recurrent layer 0 "
        + "(forward, State.hidden(0)); not a Rill output"), m.getMetadataMap().toString());
    assertTrue(m.getMetadataOrThrow("onnx.output.l0_Y_c").startsWith("final cell state Y_c of recurrent layer 0"),
        m.getMetadataMap().toString());
    assertTrue(m.getIo().getDescription().contains("whole ONNX graph"), m.getIo().getDescription());
  }

  @Test
  void yhOfAForwardLastLayerAloneIsTheOutputWithANote() throws Exception {
    GraphProto.Builder g = graph();
    lstm(g, "l0", "x", X, "forward", "", "");
    g.addOutput(value("l0_Y_h", 1));
    RillModel m = importGraph(g);
    assertEquals("l0_Y_h", m.getIo().getOutputName());
    String note = m.getMetadataOrThrow("onnx.output.l0_Y_h");
    assertTrue(note.startsWith("final hidden state Y_h of recurrent layer 0 (forward, State.hidden(0)), imported as "
        + "the model output: the Rill model outputs this value at every step"), note);
    assertTrue(m.getIo().getDescription().contains("only the last step"), m.getIo().getDescription());

    // Through the Identity and Squeeze an exporter may put after it: h_n, then h_n[0] as [N, H].
    GraphProto.Builder renamed = graph();
    lstm(renamed, "l0", "x", X, "forward", "", "");
    renamed.addNode(node("Identity", "h_n", List.of("l0_Y_h"), List.of("h_n")));
    renamed.addInitializer(int64s("axis0", new long[] {0}, 1));
    renamed.addNode(node("Squeeze", "h_last", List.of("h_n", "axis0"), List.of("h_last")));
    renamed.addOutput(value("h_last", 1));
    RillModel viaIdentity = importGraph(renamed);
    assertEquals("h_last", viaIdentity.getIo().getOutputName());
    assertEquals(m.getLayersList(), viaIdentity.getLayersList());
  }

  @Test
  void finalStatesThatNoStepHoldsAreRefusedWithTheReason() {
    for (String direction : List.of("reverse", "bidirectional")) {
      GraphProto.Builder g = graph();
      lstm(g, "l0", "x", X, direction, "", "");
      g.addOutput(value("l0_Y_h", 1));
      assertRefused(g, "the graph outputs only final states: 'l0_Y_h' is the final hidden state Y_h of recurrent "
          + "layer 0 (" + direction, "forward (not reverse or bidirectional) last layer", "--node NAME");
    }
    GraphProto.Builder cellOnly = graph();
    lstm(cellOnly, "l0", "x", X, "forward", "", "");
    cellOnly.addOutput(value("l0_Y_c", 1));
    assertRefused(cellOnly, "'l0_Y_c' is the final cell state Y_c of recurrent layer 0");
  }

  @Test
  void finalStateOfAnEarlierLayerIsNotTheOutput() {
    GraphProto.Builder g = graph();
    lstm(g, "l0", "x", X, "forward", "", "");
    lstm(g, "l1", squeeze(g, "l0_Y"), H, "forward", "", "");
    squeeze(g, "l1_Y");
    g.addOutput(value("l0_Y_h", 1));
    assertRefused(g, "reads the output of an earlier layer");
  }

  @Test
  void twoDataOutputsAreRefusedNamingWhichIsWhich() {
    GraphProto.Builder g = graph();
    lstm(g, "l0", "x", X, "forward", "", "");
    String y = squeeze(g, "l0_Y");
    g.addInitializer(floats("fc_W", random(rnd, H * 2, 1f), H, 2));
    g.addNode(node("Squeeze", "h_last", List.of("l0_Y_h", "axis0"), List.of("h_last")));
    g.addInitializer(int64s("axis0", new long[] {0}, 1));
    g.addNode(node("MatMul", "fc", List.of("h_last", "fc_W"), List.of("logits")));
    g.addOutput(value(y, 1)).addOutput(value("logits", 1));
    assertRefused(g, "'" + y + "' (every step) and 'logits' (last step only) all carry data", "--node NAME");
  }

  @Test
  void aLayerCannotStartFromAnotherLayersFinalState() {
    GraphProto.Builder g = graph();
    lstm(g, "l0", "x", X, "forward", "", "");
    lstm(g, "l1", squeeze(g, "l0_Y"), H, "forward", "", "l0_Y_h");
    g.addOutput(value(squeeze(g, "l1_Y"), 1));
    assertRefused(g, "initial_h ('l0_Y_h') is the final hidden state Y_h of recurrent layer 0",
        "separate models with --node NAME");
  }

  @Test
  void sequenceLensAndInitialStateThroughIdentityAndCastOfGraphInputs() throws Exception {
    GraphProto.Builder g = graph().addInput(value("lengths", 7, "N")).addInput(value("h0", 1, 1L, "N", (long) H));
    g.addNode(node("Cast", "to_int32", List.of("lengths"), List.of("lengths32"), attr("to", 6L)));
    g.addNode(node("Identity", "same", List.of("lengths32"), List.of("lengths_id")));
    g.addNode(node("Identity", "h0_id", List.of("h0"), List.of("h0_same")));
    lstm(g, "l0", "x", X, "forward", "lengths_id", "h0_same");
    g.addOutput(value(squeeze(g, "l0_Y"), 1));
    RillModel m = importGraph(g);
    assertEquals("x", m.getIo().getInputName());
    assertEquals("graph input 'lengths' through Cast 'to_int32', Identity 'same' (pass it at run time)",
        m.getMetadataOrThrow("onnx.layer.0.sequence_lens"));
    assertEquals("graph input 'h0' through Identity 'h0_id' (pass it at run time)",
        m.getMetadataOrThrow("onnx.layer.0.initial_h"));
  }

  @Test
  void identityOnTheDataInputAndTransposeOfABatchMajorInput() throws Exception {
    GraphProto.Builder g = graph();
    g.addNode(node("Identity", "x_id", List.of("x"), List.of("x_same")));
    lstm(g, "l0", "x_same", X, "forward", "", "");
    g.addOutput(value(squeeze(g, "l0_Y"), 1));
    assertEquals("x", importGraph(g).getIo().getInputName());

    GraphProto.Builder batchFirst = GraphProto.newBuilder().addInput(value("x", 1, "N", "T", (long) X));
    batchFirst.addNode(node("Transpose", "to_time_major", List.of("x"), List.of("xt"), OnnxModels.ints("perm", 1, 0,
        2)));
    lstm(batchFirst, "l0", "xt", X, "forward", "", "");
    batchFirst.addOutput(value(squeeze(batchFirst, "l0_Y"), 1));
    RillModel m = importGraph(batchFirst);
    assertEquals("x", m.getIo().getInputName());
    assertEquals(X, m.getIo().getInputSize());
    assertEquals("graph input 'x' is batch-major [N, T, ...]", m.getMetadataOrThrow("onnx.input_layout"));
  }

  @Test
  void aCastToAnotherTypeOnTheDataInputIsRefused() {
    GraphProto.Builder g = graph();
    g.addNode(node("Cast", "to_f16", List.of("x"), List.of("x16"), attr("to", 10L)));
    lstm(g, "l0", "x16", X, "forward", "", "");
    g.addOutput(value(squeeze(g, "l0_Y"), 1));
    assertRefused(g, "X reads graph input 'x' through Cast 'to_f16', a Cast to ONNX type 10");
  }

  @Test
  void sequenceLensComputedInTheGraphIsStillRefused() {
    GraphProto.Builder g = graph().addInput(value("lengths", 7, "N"));
    g.addInitializer(int64s("one", new long[] {1}, 1));
    g.addNode(node("Sub", "minus_one", List.of("lengths", "one"), List.of("shorter")));
    lstm(g, "l0", "x", X, "forward", "shorter", "");
    g.addOutput(value(squeeze(g, "l0_Y"), 1));
    assertRefused(g, "sequence_lens ('shorter') is computed in the graph by Sub node 'minus_one' from graph input "
        + "'lengths'", "only as a graph input, directly or through Identity or Cast");
  }
}
