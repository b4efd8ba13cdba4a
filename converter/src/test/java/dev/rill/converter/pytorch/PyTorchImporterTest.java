package dev.rill.converter.pytorch;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.rill.converter.pytorch.TorchReference.Cell;
import dev.rill.converter.safetensors.SafetensorsDtype;
import dev.rill.converter.safetensors.SafetensorsWriter;
import dev.rill.format.proto.ActivationKind;
import dev.rill.format.proto.Direction;
import dev.rill.format.proto.InputKind;
import dev.rill.format.proto.Layer;
import dev.rill.format.proto.OutputActivation;
import dev.rill.format.proto.RillModel;
import dev.rill.runtime.Model;
import dev.rill.runtime.SequenceBatch;
import java.io.IOException;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class PyTorchImporterTest {

  private static final int T = 5;
  private static final int N = 2;

  @TempDir
  Path dir;

  private final Random random = new Random(42);
  private final Map<String, float[]> values = new LinkedHashMap<>();
  private final SafetensorsWriter writer = new SafetensorsWriter();

  @Test
  void bareTwoLayerBidirectionalLstmMatchesPyTorchEquations() throws IOException {
    addStack("", 4, 2, true, true, 3, 4);
    RillModel model = importFile(PyTorchImportOptions.defaults());
    assertEquals(List.of("input", "lstm.l0", "lstm.l1"), model.getLayersList().stream().map(Layer::getName).toList());
    assertEquals(Direction.BIDIRECTIONAL, model.getLayers(1).getLstm().getRecurrent().getDirection());
    assertEquals(8, model.getLayers(2).getLstm().getRecurrent().getInputSize());
    double[] x = randomInput(3);
    double[] expected = TorchReference.stack(values, "", Cell.LSTM, 2, true, false, x, T, N, 3, 4);
    assertClose(expected, runVectors(model, x, 3));
  }

  @Test
  void gruWithLinearHeadAndSoftmaxFlagMatchesPyTorchEquations() throws IOException {
    addStack("encoder.rnn.", 3, 1, false, true, 6, 5);
    addLinear("head.", 5, 3, true);
    RillModel model = importFile(PyTorchImportOptions.defaults().withOutputActivation(OutputActivation.SOFTMAX));
    assertTrue(model.getLayers(1).getGru().getLinearBeforeReset(), "PyTorch's GRU is linear-before-reset");
    assertEquals(OutputActivation.SOFTMAX, model.getLayers(2).getDense().getActivation());
    double[] x = randomInput(6);
    double[] h = TorchReference.stack(values, "encoder.rnn.", Cell.GRU, 1, false, false, x, T, N, 6, 5);
    double[] expected = TorchReference.softmaxRows(
        TorchReference.linear(values.get("head.weight"), values.get("head.bias"), h, T * N, 5, 3), T * N, 3);
    assertClose(expected, runVectors(model, x, 6));
  }

  @Test
  void reluRnnStackWithoutBiasesFollowsTheFlag() throws IOException {
    addStack("rnn.", 1, 2, false, false, 4, 3);
    RillModel model = importFile(PyTorchImportOptions.defaults().withRnnNonlinearity(Nonlinearity.RELU));
    assertEquals(ActivationKind.RELU, model.getLayers(1).getRnn().getRecurrent().getActivations().getFunctions(0).getKind());
    assertEquals("", model.getLayers(1).getRnn().getRecurrent().getB(), "no bias tensors: B is empty (zeros)");
    double[] x = randomInput(4);
    assertClose(TorchReference.stack(values, "rnn.", Cell.RNN_RELU, 2, false, false, x, T, N, 4, 3), runVectors(model, x, 4));
  }

  @Test
  void tanhIsTheDefaultRnnNonlinearity() throws IOException {
    addStack("rnn.", 1, 1, true, true, 2, 3);
    RillModel model = importFile(PyTorchImportOptions.defaults());
    double[] x = randomInput(2);
    assertClose(TorchReference.stack(values, "rnn.", Cell.RNN_TANH, 1, true, false, x, T, N, 2, 3), runVectors(model, x, 2));
  }

  @Test
  void lstmCellAndGruCellImportAsOneForwardLayer() throws IOException {
    addCell("decoder.rnn.", 4, 3, 4);
    RillModel lstm = importFile(PyTorchImportOptions.defaults());
    assertEquals("decoder.rnn", lstm.getLayers(1).getName());
    double[] x = randomInput(3);
    assertClose(TorchReference.stack(values, "decoder.rnn.", Cell.LSTM, 1, false, true, x, T, N, 3, 4), runVectors(lstm, x, 3));

    values.clear();
    SafetensorsWriter gruWriter = new SafetensorsWriter();
    addCell(gruWriter, "cell.", 3, 2, 3);
    Path file = dir.resolve("gru_cell.safetensors");
    gruWriter.write(file);
    RillModel gru = PyTorchImporter.importModel(file, PyTorchImportOptions.defaults());
    double[] x2 = randomInput(2);
    assertClose(TorchReference.stack(values, "cell.", Cell.GRU, 1, false, true, x2, T, N, 2, 3), runVectors(gru, x2, 2));
  }

  @Test
  void embeddingWithoutBiasIsRecognisedAsTheTokenInput() throws IOException {
    add("embed.weight", 7, 4); // [vocabulary 7, dim 4]; as a bias-free Linear 4->7 it could not come first
    addStack("rnn.", 3, 1, false, true, 4, 5);
    addLinear("fc.", 5, 7, true);
    RillModel model = importFile(PyTorchImportOptions.defaults());
    assertEquals(InputKind.TOKEN, model.getIo().getInputKind());
    assertEquals(7, model.getIo().getInputSize());
    int[] tokens = new int[T * N];
    for (int i = 0; i < tokens.length; i++) {
      tokens[i] = random.nextInt(7);
    }
    double[] embedded = new double[T * N * 4];
    for (int i = 0; i < tokens.length; i++) {
      for (int j = 0; j < 4; j++) {
        embedded[i * 4 + j] = values.get("embed.weight")[tokens[i] * 4 + j];
      }
    }
    double[] h = TorchReference.stack(values, "rnn.", Cell.GRU, 1, false, false, embedded, T, N, 4, 5);
    double[] expected = TorchReference.linear(values.get("fc.weight"), values.get("fc.bias"), h, T * N, 5, 7);
    try (Model m = Model.of(model)) {
      assertClose(expected, toDoubles(m.run(SequenceBatch.ofTokens(tokens, T, N)).output()));
    }
  }

  @Test
  void modulesAreOrderedByShapesNotByTheirOrderInTheFile() throws IOException {
    addLinear("a_head.", 6, 2, true);   // alphabetically and in the file first, but it reads the LSTM's output
    addStack("z_lstm.", 4, 1, false, true, 3, 6);
    RillModel model = importFile(PyTorchImportOptions.defaults());
    assertEquals(List.of("input", "z_lstm.l0", "a_head"), model.getLayersList().stream().map(Layer::getName).toList());
  }

  @Test
  void halfPrecisionWeightsAreWidened() throws IOException {
    float[] wih = {0.5f, -0.25f, 1f, 2f};
    float[] whh = {0.125f};
    writer.add("weight_ih_l0", SafetensorsDtype.F16, new float[] {wih[0], wih[1]}, 1, 2);
    writer.add("weight_hh_l0", SafetensorsDtype.BF16, whh, 1, 1);
    Path file = dir.resolve("half.safetensors");
    writer.write(file);
    RillModel model = PyTorchImporter.importModel(file, PyTorchImportOptions.defaults());
    // Hand-computed: h1 = tanh(0.5*1 - 0.25*2) = 0; h2 = tanh(0.5*2 - 0.25*0 + 0.125*0) = tanh(1).
    try (Model m = Model.of(model)) {
      float[] out = m.run(SequenceBatch.ofVectors(new float[] {1, 2, 2, 0}, 2, 1)).output();
      assertEquals(0.0, out[0], 1e-7);
      assertEquals(Math.tanh(1), out[1], 1e-6);
    }
  }

  @Test
  void ambiguousArchitectureIsRefusedNamingBothReadings() throws IOException {
    add("proj.weight", 6, 6);
    addStack("lstm.", 4, 1, false, true, 6, 6);
    PyTorchImportException e = assertThrows(PyTorchImportException.class, () -> importFile(PyTorchImportOptions.defaults()));
    assertTrue(e.getMessage().startsWith("the architecture is ambiguous: both [proj (embedding 6->6) -> lstm (lstm 6->6)] and "
        + "[lstm (lstm 6->6) -> proj (linear 6->6)] fit"), e.getMessage());
    assertTrue(e.getMessage().endsWith("list the modules in order in a spec file (--spec)"), e.getMessage());
  }

  @Test
  void specSettlesTheArchitecture() throws IOException {
    add("proj.weight", 6, 6);
    addStack("lstm.", 4, 1, false, true, 6, 6);
    ArchitectureSpec spec = ArchitectureSpec.parse("""
        {"modules": [{"name": "lstm", "kind": "lstm"}, {"name": "proj", "kind": "linear", "activation": "log_softmax"}],
         "metadata": {"task": "test"}}""");
    RillModel model = importFile(PyTorchImportOptions.defaults().withSpec(spec));
    assertEquals(OutputActivation.LOG_SOFTMAX, model.getLayers(2).getDense().getActivation());
    assertEquals("test", model.getMetadataOrThrow("task"));
    assertEquals("safetensors (PyTorch state_dict)", model.getMetadataOrThrow("source.format"));
  }

  @Test
  void specMistakesAreNamed() throws IOException {
    add("proj.weight", 6, 6);
    addStack("lstm.", 4, 1, false, true, 6, 6);
    assertImportFails(spec("{\"modules\": [{\"name\": \"lstm\", \"kind\": \"gru\"}, {\"name\": \"proj\", \"kind\": \"linear\"}]}"),
        "spec module 'lstm' is declared gru but its weights are those of lstm");
    assertImportFails(spec("{\"modules\": [{\"name\": \"lstm\", \"kind\": \"lstm\"}]}"),
        "the spec does not list module(s) 'proj' found in the file");
    assertImportFails(spec("{\"modules\": [{\"name\": \"rnn\", \"kind\": \"lstm\"}]}"),
        "spec module 'rnn' has no tensors in the file (modules found: 'proj', 'lstm')");
    assertImportFails(spec("{\"modules\": [{\"name\": \"proj\", \"kind\": \"linear\"}, {\"name\": \"lstm\", \"kind\": \"lstm\"}]}"),
        "the spec's modules do not fit together: linear module 'proj' comes before any recurrent module");
    assertImportFails(spec("{\"modules\": [{\"name\": \"proj\", \"kind\": \"lstm_cell\"}, {\"name\": \"lstm\", \"kind\": \"lstm\"}]}"),
        "module 'proj' is declared lstm_cell but has only weight/bias parameters");
  }

  @Test
  void aVocabularyForAVectorModelIsRefused() throws IOException {
    add("proj.weight", 6, 6);
    addStack("lstm.", 4, 1, false, true, 6, 6);
    assertImportFails(spec("{\"modules\": [{\"name\": \"lstm\", \"kind\": \"lstm\"}, "
        + "{\"name\": \"proj\", \"kind\": \"linear\"}], \"vocabulary\": [\"a\", \"b\"]}"),
        "the spec has a vocabulary of 2 tokens, but the model starts with");
  }

  @Test
  void specFileErrorsAreNamed() {
    assertSpecError("{\"modules\": []}", "\"modules\" must be a non-empty array of modules");
    assertSpecError("{\"modules\": [{\"name\": \"a\", \"kind\": \"conv\"}]}", "modules[0].kind: unknown module kind 'conv' (valid: lstm, gru, rnn");
    assertSpecError("{\"modules\": [{\"name\": \"a\", \"kind\": \"lstm\", \"nonlinearity\": \"relu\"}]}",
        "modules[0].nonlinearity applies to rnn and rnn_cell modules only, not lstm");
    assertSpecError("{\"modules\": [{\"name\": \"a\", \"kind\": \"rnn\", \"nonlinearity\": \"gelu\"}]}",
        "modules[0].nonlinearity: unknown nonlinearity 'gelu' (valid: tanh, relu)");
    assertSpecError("{\"modules\": [{\"name\": \"a\", \"kind\": \"linear\", \"activation\": \"relu\"}]}",
        "modules[0].activation: unknown activation 'relu'");
    assertSpecError("{\"modules\": [{\"kind\": \"linear\"}]}", "modules[0].name must be a string, found nothing");
    assertSpecError("{\"layers\": []}", "the top level: unknown field \"layers\"");
    assertSpecError("{\"modules\": [", "not valid JSON: ");
  }

  @Test
  void malformedWeightsAreNamed() throws IOException {
    add("rnn.weight_ih_l0", 12, 3);
    add("rnn.weight_hh_l0", 12, 4); // 12 rows over 4 columns: 3 gates, a GRU
    add("rnn.weight_ih_l1", 12, 5);
    add("rnn.weight_hh_l1", 12, 4);
    assertImportFails(PyTorchImportOptions.defaults(), "tensor 'rnn.weight_ih_l1': expected shape [12, 4], found [12, 5]");
  }

  @Test
  void missingAndUnknownParametersAreNamed() throws IOException {
    add("rnn.weight_ih_l0", 8, 3);
    assertImportFails(PyTorchImportOptions.defaults(), "module 'rnn': missing parameter rnn.weight_hh_l0");
  }

  @Test
  void gateCountMustBeOneThreeOrFour() throws IOException {
    add("weight_ih", 10, 3);
    add("weight_hh", 10, 5);
    assertImportFails(PyTorchImportOptions.defaults(),
        "module '(root)': weight_hh has shape [10, 5]; its rows must be 1, 3 or 4 times its columns");
  }

  @Test
  void unsupportedModulesAreNamed() throws IOException {
    add("bn.running_mean", 4);
    assertImportFails(PyTorchImportOptions.defaults(),
        "tensor 'bn.running_mean': parameter 'running_mean' does not belong to a module Rill imports");
    values.clear();
  }

  @Test
  void projectionLstmIsRefused() throws IOException {
    addStack("lstm.", 4, 1, false, true, 3, 4);
    add("lstm.weight_hr_l0", 2, 4);
    assertImportFails(PyTorchImportOptions.defaults(), "tensor 'lstm.weight_hr_l0': LSTM with proj_size (projection weights) is not supported");
  }

  @Test
  void unexpectedExtraLayerParameterIsNamed() throws IOException {
    addStack("gru.", 3, 1, false, true, 3, 4);
    add("gru.bias_ih_l1", 12);
    assertImportFails(PyTorchImportOptions.defaults(), "module 'gru': missing parameter gru.weight_ih_l1");
  }

  @Test
  void outputActivationNeedsALinearModule() throws IOException {
    addStack("gru.", 3, 1, false, true, 3, 4);
    assertImportFails(PyTorchImportOptions.defaults().withOutputActivation(OutputActivation.OUTPUT_SIGMOID),
        "an output activation needs a linear module at the end of the model, but the last module is gru (gru 3->4)");
  }

  @Test
  void noRecurrentModuleIsRefused() throws IOException {
    addLinear("fc.", 3, 2, true);
    assertImportFails(PyTorchImportOptions.defaults(), "there is no recurrent module");
  }

  // ------------------------------------------------------------------------------------------------

  private void addStack(String prefix, int gates, int layers, boolean bidirectional, boolean bias, int input, int hidden) {
    for (int k = 0; k < layers; k++) {
      for (int d = 0; d < (bidirectional ? 2 : 1); d++) {
        String suffix = "_l" + k + (d == 1 ? "_reverse" : "");
        int x = k == 0 ? input : (bidirectional ? 2 : 1) * hidden;
        add(prefix + "weight_ih" + suffix, gates * hidden, x);
        add(prefix + "weight_hh" + suffix, gates * hidden, hidden);
        if (bias) {
          add(prefix + "bias_ih" + suffix, gates * hidden);
          add(prefix + "bias_hh" + suffix, gates * hidden);
        }
      }
    }
  }

  private void addCell(String prefix, int gates, int input, int hidden) {
    addCell(writer, prefix, gates, input, hidden);
  }

  private void addCell(SafetensorsWriter w, String prefix, int gates, int input, int hidden) {
    add(w, prefix + "weight_ih", gates * hidden, input);
    add(w, prefix + "weight_hh", gates * hidden, hidden);
    add(w, prefix + "bias_ih", gates * hidden);
    add(w, prefix + "bias_hh", gates * hidden);
  }

  private void addLinear(String prefix, int in, int out, boolean bias) {
    add(prefix + "weight", out, in);
    if (bias) {
      add(prefix + "bias", out);
    }
  }

  private void add(String name, long... shape) {
    add(writer, name, shape);
  }

  private void add(SafetensorsWriter w, String name, long... shape) {
    long n = 1;
    for (long d : shape) {
      n *= d;
    }
    float[] v = new float[(int) n];
    for (int i = 0; i < v.length; i++) {
      v[i] = random.nextFloat() - 0.5f;
    }
    values.put(name, v);
    w.addF32(name, v, shape);
  }

  private RillModel importFile(PyTorchImportOptions options) throws IOException {
    Path file = dir.resolve("model.safetensors");
    writer.write(file);
    return PyTorchImporter.importModel(file, options);
  }

  private void assertImportFails(PyTorchImportOptions options, String expected) {
    PyTorchImportException e = assertThrows(PyTorchImportException.class, () -> importFile(options));
    assertTrue(e.getMessage().contains(expected), () -> "expected [" + expected + "] in [" + e.getMessage() + "]");
  }

  private static PyTorchImportOptions spec(String json) throws PyTorchImportException {
    return PyTorchImportOptions.defaults().withSpec(ArchitectureSpec.parse(json));
  }

  private static void assertSpecError(String json, String expected) {
    PyTorchImportException e = assertThrows(PyTorchImportException.class, () -> ArchitectureSpec.parse(json));
    assertTrue(e.getMessage().contains(expected), () -> "expected [" + expected + "] in [" + e.getMessage() + "]");
  }

  private double[] randomInput(int width) {
    double[] x = new double[T * N * width];
    for (int i = 0; i < x.length; i++) {
      x[i] = (float) (random.nextGaussian()); // float-representable, so the runtime sees the same input
    }
    return x;
  }

  private static double[] runVectors(RillModel model, double[] x, int width) {
    float[] in = new float[x.length];
    for (int i = 0; i < x.length; i++) {
      in[i] = (float) x[i];
    }
    try (Model m = Model.of(model)) {
      assertEquals(width, m.inputSize());
      return toDoubles(m.run(SequenceBatch.ofVectors(in, T, N)).output());
    }
  }

  private static double[] toDoubles(float[] f) {
    double[] d = new double[f.length];
    for (int i = 0; i < f.length; i++) {
      d[i] = f[i];
    }
    return d;
  }

  static void assertClose(double[] expected, double[] actual) {
    assertEquals(expected.length, actual.length, "output length");
    for (int i = 0; i < expected.length; i++) {
      double tol = 1e-6 + 1e-5 * Math.abs(expected[i]);
      int index = i;
      assertTrue(Math.abs(expected[i] - actual[i]) <= tol,
          () -> "element " + index + ": expected " + expected[index] + " but runtime gave " + actual[index]);
    }
  }
}
