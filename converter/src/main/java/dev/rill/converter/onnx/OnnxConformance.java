package dev.rill.converter.onnx;

import dev.rill.converter.onnx.proto.GraphProto;
import dev.rill.converter.onnx.proto.ModelProto;
import dev.rill.converter.onnx.proto.NodeProto;
import dev.rill.converter.onnx.proto.TensorProto;
import dev.rill.runtime.Model;
import dev.rill.runtime.SequenceBatch;
import dev.rill.runtime.SequenceResult;
import dev.rill.runtime.State;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;

/**
 * Runs ONNX backend node tests for LSTM, GRU and RNN through the Rill importer and runtime: the engine of
 * {@code rill onnx-test DIR...}.
 *
 * <p>A case folder holds {@code model.onnx} (one recurrent node whose weights W, R, B, P are graph inputs)
 * and {@code test_data_set_<n>/input_<k>.pb}, {@code output_<k>.pb} (serialized TensorProtos; inputs and
 * outputs numbered in the order of the node's non-empty inputs and outputs, and named after them). For every
 * data set, the weights from the input files are folded into a Rill layer; X, {@code sequence_lens},
 * {@code initial_h} and {@code initial_c} go through {@link SequenceBatch}; Y, Y_h and Y_c are rebuilt from
 * {@link SequenceResult#layerOutput(int)} and the final {@link State} in the node's layout, and each expected
 * output is compared element-wise with {@code |actual - expected| <= ATOL + RTOL * |expected|}.
 *
 * <pre>{@code
 * OnnxConformance.CaseResult r = OnnxConformance.run(Path.of("test_lstm_defaults"));
 * System.out.println(r.line());   // PASS test_lstm_defaults  max abs 2.98e-08  max rel 1.71e-07
 * }</pre>
 */
public final class OnnxConformance {

  /** Relative tolerance (stricter than ONNX's own runner, which uses 1e-3). */
  public static final double RTOL = 1e-5;

  /** Absolute tolerance (ONNX's runner uses 1e-7 with rtol 1e-3). */
  public static final double ATOL = 1e-6;

  private static final Pattern DATA_SET = Pattern.compile("test_data_set_(\\d+)");
  private static final Pattern PB = Pattern.compile("(input|output)_(\\d+)\\.pb");

  private OnnxConformance() {}

  /**
   * The comparison of one expected output tensor.
   *
   * @param dataSet the data set folder name
   * @param name the output name (Y, Y_h, Y_c)
   * @param maxAbsError largest |actual - expected|
   * @param maxRelError largest |actual - expected| / |expected| over elements with |expected| > ATOL
   * @param passed whether every element is within tolerance
   */
  public record OutputResult(String dataSet, String name, double maxAbsError, double maxRelError, boolean passed) {}

  /**
   * The result of one case folder, over all its data sets.
   *
   * @param caseDir the folder
   * @param passed true if every output of every data set is within tolerance
   * @param maxAbsError largest absolute error over all outputs
   * @param maxRelError largest relative error over all outputs
   * @param outputs one entry per compared output
   * @param error why the case could not be run (malformed files, import failure), or null
   */
  public record CaseResult(Path caseDir, boolean passed, double maxAbsError, double maxRelError,
      List<OutputResult> outputs, String error) {

    /** One line for the CLI: {@code PASS|FAIL <case> max abs <e> max rel <e>[: reason]}. */
    public String line() {
      String name = caseDir.getFileName() == null ? caseDir.toString() : caseDir.getFileName().toString();
      if (error != null) {
        return "FAIL " + name + ": " + error;
      }
      StringBuilder sb = new StringBuilder(passed ? "PASS " : "FAIL ").append(name)
          .append(String.format(Locale.ROOT, "  max abs %.3g  max rel %.3g", maxAbsError, maxRelError));
      if (!passed) {
        sb.append(": out of tolerance: ").append(String.join(", ", outputs.stream().filter(o -> !o.passed())
            .map(o -> o.dataSet() + "/" + o.name()).toList()));
      }
      return sb.toString();
    }
  }

  /**
   * Runs every data set of one case folder.
   *
   * @param caseDir a folder with {@code model.onnx} and {@code test_data_set_*}
   * @return the result; a case that cannot be run is a failure whose {@link CaseResult#error()} says why
   */
  public static CaseResult run(Path caseDir) {
    try {
      return runChecked(caseDir);
    } catch (OnnxImportException | RuntimeException e) {
      return new CaseResult(caseDir, false, Double.NaN, Double.NaN, List.of(), e.getMessage() == null
          ? e.toString() : e.getMessage());
    }
  }

  /**
   * Runs several case folders.
   *
   * @param caseDirs the folders
   * @return one result per folder, in order
   */
  public static List<CaseResult> runAll(List<Path> caseDirs) {
    return caseDirs.stream().map(OnnxConformance::run).toList();
  }

  private static CaseResult runChecked(Path caseDir) throws OnnxImportException {
    Path modelFile = caseDir.resolve("model.onnx");
    if (!Files.isRegularFile(modelFile)) {
      throw new OnnxImportException("no model.onnx in " + caseDir);
    }
    ModelProto model = OnnxFiles.readModel(modelFile);
    GraphProto graph = model.getGraph();
    if (graph.getNodeCount() != 1 || !RecurrentNode.OPS.contains(graph.getNode(0).getOpType())) {
      throw new OnnxImportException("model.onnx must hold exactly one LSTM, GRU or RNN node, found "
          + graph.getNodeList().stream().map(NodeProto::getOpType).toList());
    }
    NodeProto node = graph.getNode(0);
    List<Path> dataSets = dataSets(caseDir);
    if (dataSets.isEmpty()) {
      throw new OnnxImportException("no test_data_set_* folder in " + caseDir);
    }
    List<OutputResult> outputs = new ArrayList<>();
    for (Path dataSet : dataSets) {
      outputs.addAll(runDataSet(model, node, caseDir, dataSet));
    }
    if (outputs.isEmpty()) {
      throw new OnnxImportException("no output_*.pb files to compare in " + caseDir);
    }
    double abs = outputs.stream().mapToDouble(OutputResult::maxAbsError).max().orElse(0);
    double rel = outputs.stream().mapToDouble(OutputResult::maxRelError).max().orElse(0);
    return new CaseResult(caseDir, outputs.stream().allMatch(OutputResult::passed), abs, rel, outputs, null);
  }

  private static List<OutputResult> runDataSet(ModelProto model, NodeProto node, Path caseDir, Path dataSet)
      throws OnnxImportException {
    String setName = dataSet.getFileName().toString();
    List<String> nodeInputs = node.getInputList().stream().filter(s -> !s.isEmpty()).toList();
    List<String> nodeOutputs = node.getOutputList().stream().filter(s -> !s.isEmpty()).toList();
    Map<String, TensorProto> inputs = named(pbFiles(dataSet, "input"), nodeInputs, setName, "input");
    Map<String, TensorProto> expected = named(pbFiles(dataSet, "output"), nodeOutputs, setName, "output");
    long cap = OnnxImportOptions.DEFAULT_MAX_TENSOR_ELEMENTS;

    // Weights become constants; everything else is a run-time input.
    Map<String, ConstTensor> feeds = new HashMap<>();
    for (int i = 0; i < node.getInputCount(); i++) {
      String name = node.getInput(i);
      if (!name.isEmpty() && RecurrentNode.isWeightInput(node.getOpType(), i)) {
        TensorProto t = inputs.get(name);
        if (t == null) {
          throw new OnnxImportException(setName + ": no input file for weight '" + name + "'");
        }
        feeds.put(name, OnnxTensors.decode(t, dataSet, cap));
      }
    }
    OnnxImportOptions options = OnnxImportOptions.builder().nodes(List.of(node.getName())).build();
    OnnxImporter.Imported imported = OnnxImporter.importGraph(model, caseDir, "model.onnx", options, feeds);
    RecurrentNode rn = imported.recurrent().get(0);

    ConstTensor x = OnnxTensors.decode(require(inputs, rn.x(), setName), dataSet, cap);
    if (x.rank() != 3 || x.dim(2) != rn.inputSize()) {
      throw new OnnxImportException(setName + ": X has shape " + Arrays.toString(x.shape()) + ", expected rank 3 "
          + "with " + rn.inputSize() + " features");
    }
    boolean batchFirst = rn.layout() == 1;
    int steps = (int) x.dim(batchFirst ? 1 : 0);
    int batch = (int) x.dim(batchFirst ? 0 : 1);
    int d = rn.directions();
    int h = rn.hidden();
    if (steps == 0 || batch == 0) {
      throw new OnnxImportException(setName + ": X has an empty time or batch axis");
    }

    try (Model rill = Model.of(imported.model())) {
      float[] xs = x.toFloatArray();
      SequenceBatch seq = SequenceBatch.ofVectors(batchFirst ? swap01(xs, batch, steps, rn.inputSize()) : xs,
          steps, batch);
      if (!rn.sequenceLens().isEmpty()) {
        long[] lens = OnnxTensors.decode(require(inputs, rn.sequenceLens(), setName), dataSet, cap).toLongArray();
        int[] lengths = new int[lens.length];
        for (int i = 0; i < lens.length; i++) {
          lengths[i] = (int) Math.max(-1, Math.min(Integer.MAX_VALUE, lens[i]));
        }
        seq = seq.withLengths(lengths);
      }
      if (!rn.initialH().isEmpty() || !rn.initialC().isEmpty()) {
        State.Builder state = State.builder(rill, batch);
        if (!rn.initialH().isEmpty()) {
          state.hidden(0, stateInput(inputs, rn.initialH(), setName, dataSet, batchFirst, d, batch, h));
        }
        if (!rn.initialC().isEmpty()) {
          state.cell(0, stateInput(inputs, rn.initialC(), setName, dataSet, batchFirst, d, batch, h));
        }
        seq = seq.withInitialState(state.build());
      }
      SequenceResult result = rill.run(seq);

      Map<String, float[]> actual = new HashMap<>();
      Map<String, long[]> shapes = new HashMap<>();
      // layerOutput is [T, N, D*H]; ONNX Y is [T, D, N, H] (layout 0) or [N, T, D, H] (layout 1).
      float[] layer = result.layerOutput(0);
      float[] y = new float[layer.length];
      for (int t = 0; t < steps; t++) {
        for (int n = 0; n < batch; n++) {
          for (int dir = 0; dir < d; dir++) {
            int src = ((t * batch + n) * d + dir) * h;
            int dst = batchFirst ? ((n * steps + t) * d + dir) * h : ((t * d + dir) * batch + n) * h;
            System.arraycopy(layer, src, y, dst, h);
          }
        }
      }
      put(actual, shapes, rn.y(), y, batchFirst ? new long[] {batch, steps, d, h} : new long[] {steps, d, batch, h});
      long[] stateShape = batchFirst ? new long[] {batch, d, h} : new long[] {d, batch, h};
      put(actual, shapes, rn.yH(), toLayout(result.finalState().hidden(0), batchFirst, d, batch, h), stateShape);
      if (!rn.yC().isEmpty()) {
        put(actual, shapes, rn.yC(), toLayout(result.finalState().cell(0), batchFirst, d, batch, h), stateShape);
      }

      List<OutputResult> out = new ArrayList<>();
      for (Map.Entry<String, TensorProto> e : expected.entrySet()) {
        String name = e.getKey();
        if (!actual.containsKey(name)) {
          throw new OnnxImportException(setName + ": expected output '" + name + "' is not an output of the node");
        }
        ConstTensor exp = OnnxTensors.decode(e.getValue(), dataSet, cap);
        if (!Arrays.equals(exp.shape(), shapes.get(name))) {
          throw new OnnxImportException(setName + ": expected output '" + name + "' has shape "
              + Arrays.toString(exp.shape()) + " but the node produces " + Arrays.toString(shapes.get(name)));
        }
        out.add(compare(setName, name, actual.get(name), exp));
      }
      return out;
    } catch (IllegalArgumentException e) {
      throw new OnnxImportException(setName + ": " + e.getMessage(), e);
    }
  }

  private static void put(Map<String, float[]> actual, Map<String, long[]> shapes, String name, float[] v,
      long[] shape) {
    if (!name.isEmpty()) {
      actual.put(name, v);
      shapes.put(name, shape);
    }
  }

  static OutputResult compare(String dataSet, String name, float[] actual, ConstTensor expected) {
    double maxAbs = 0;
    double maxRel = 0;
    boolean ok = true;
    for (int i = 0; i < actual.length; i++) {
      double e = expected.doubleAt(i);
      double a = actual[i];
      double err = Math.abs(a - e);
      if (Double.isNaN(err)) {
        ok &= Double.isNaN(a) && Double.isNaN(e);
        err = ok ? 0 : Double.POSITIVE_INFINITY;
      }
      maxAbs = Math.max(maxAbs, err);
      if (Math.abs(e) > ATOL) { // relative error means nothing for values at the noise floor
        maxRel = Math.max(maxRel, err / Math.abs(e));
      }
      ok &= err <= ATOL + RTOL * Math.abs(e);
    }
    return new OutputResult(dataSet, name, maxAbs, maxRel, ok);
  }

  /** An initial_h/initial_c input, as [D, N, H]. */
  private static float[] stateInput(Map<String, TensorProto> inputs, String name, String setName, Path dataSet,
      boolean batchFirst, int d, int batch, int h) throws OnnxImportException {
    ConstTensor t = OnnxTensors.decode(require(inputs, name, setName), dataSet,
        OnnxImportOptions.DEFAULT_MAX_TENSOR_ELEMENTS);
    long[] want = batchFirst ? new long[] {batch, d, h} : new long[] {d, batch, h};
    if (!Arrays.equals(t.shape(), want)) {
      throw new OnnxImportException(setName + ": '" + name + "' has shape " + Arrays.toString(t.shape())
          + ", expected " + Arrays.toString(want));
    }
    float[] v = t.toFloatArray();
    return batchFirst ? swap01(v, batch, d, h) : v;
  }

  /** [D, N, H] state to the node's layout ([N, D, H] for layout 1). */
  private static float[] toLayout(float[] state, boolean batchFirst, int d, int batch, int h) {
    return batchFirst ? swap01(state, d, batch, h) : state;
  }

  /** Swaps the first two axes of an [a, b, c] array. */
  private static float[] swap01(float[] v, int a, int b, int c) {
    float[] out = new float[v.length];
    for (int i = 0; i < a; i++) {
      for (int j = 0; j < b; j++) {
        System.arraycopy(v, (i * b + j) * c, out, (j * a + i) * c, c);
      }
    }
    return out;
  }

  private static TensorProto require(Map<String, TensorProto> inputs, String name, String setName)
      throws OnnxImportException {
    TensorProto t = inputs.get(name);
    if (t == null) {
      throw new OnnxImportException(setName + ": no input file for '" + name + "'");
    }
    return t;
  }

  /**
   * Reads numbered .pb files and names them: by the tensor's own name when it is one of {@code names}, else by
   * position in {@code names}.
   */
  private static Map<String, TensorProto> named(List<Path> files, List<String> names, String setName, String kind)
      throws OnnxImportException {
    Map<String, TensorProto> out = new java.util.LinkedHashMap<>();
    for (int i = 0; i < files.size(); i++) {
      TensorProto t = OnnxFiles.readTensor(files.get(i));
      String name = names.contains(t.getName()) ? t.getName() : i < names.size() ? names.get(i) : null;
      if (name == null) {
        throw new OnnxImportException(setName + ": " + files.get(i).getFileName() + " does not match any " + kind
            + " of the node " + names);
      }
      if (out.put(name, t) != null) {
        throw new OnnxImportException(setName + ": two " + kind + " files for '" + name + "'");
      }
    }
    return out;
  }

  private static List<Path> dataSets(Path caseDir) throws OnnxImportException {
    try (Stream<Path> s = Files.list(caseDir)) {
      return s.filter(Files::isDirectory).filter(p -> DATA_SET.matcher(p.getFileName().toString()).matches())
          .sorted(Comparator.comparingLong(p -> number(DATA_SET, p))).toList();
    } catch (IOException e) {
      throw new OnnxImportException("cannot list " + caseDir + ": " + e, e);
    }
  }

  private static List<Path> pbFiles(Path dataSet, String kind) throws OnnxImportException {
    try (Stream<Path> s = Files.list(dataSet)) {
      return s.filter(p -> {
        Matcher m = PB.matcher(p.getFileName().toString());
        return m.matches() && m.group(1).equals(kind);
      }).sorted(Comparator.comparingLong(p -> number(PB, p))).toList();
    } catch (IOException e) {
      throw new OnnxImportException("cannot list " + dataSet + ": " + e, e);
    }
  }

  private static long number(Pattern pattern, Path p) {
    Matcher m = pattern.matcher(p.getFileName().toString());
    if (!m.matches()) {
      return Long.MAX_VALUE;
    }
    String digits = m.group(m.groupCount());
    return digits.length() > 18 ? Long.MAX_VALUE : Long.parseLong(digits);
  }
}
