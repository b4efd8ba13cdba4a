package dev.rill.converter.pytorch;

import dev.rill.converter.pytorch.ArchitectureSpec.ModuleSpec;
import dev.rill.converter.safetensors.SafetensorsFile;
import dev.rill.format.ModelBuilder;
import dev.rill.format.proto.Activation;
import dev.rill.format.proto.ActivationKind;
import dev.rill.format.proto.Direction;
import dev.rill.format.proto.OutputActivation;
import dev.rill.format.proto.RillModel;
import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.Collectors;

/**
 * Turns PyTorch weights saved as safetensors ({@code model.state_dict()}) into a Rill model.
 *
 * <p><b>What is recognised.</b> Tensors are grouped into modules by their name prefix
 * ({@code encoder.rnn.weight_ih_l0} → module {@code encoder.rnn}). {@code weight_ih_l{k}[_reverse]}
 * names an nn.LSTM/GRU/RNN stack, {@code weight_ih} a cell, {@code weight}/{@code bias} an nn.Linear or
 * nn.Embedding. The gate count (rows of {@code weight_hh} over its columns: 4, 3 or 1) tells LSTM, GRU
 * and RNN apart; layers, directions, hidden and input sizes come from the shapes.
 *
 * <p><b>Architecture rule (without a spec).</b> The model is: an optional embedding, then one or
 * more recurrent modules, then zero or more Linear modules, where each module's input size equals
 * the previous one's output size. A {@code weight} without a {@code bias} may be an Embedding or a
 * bias-free Linear. Every order and reading of the modules that fits this rule is tried; exactly one
 * must fit, or the import fails naming the candidates, and the user gives an {@link ArchitectureSpec}.
 * {@code nn.RNN}'s nonlinearity is not in the weights: tanh unless the options or the spec say relu.
 *
 * <p><b>Conversion.</b> Gate blocks are reordered to the canonical ONNX order (LSTM i,f,g,o →
 * i,o,f,c; GRU r,z,n → z,r,h); {@code bias_ih} becomes Wb and {@code bias_hh} Rb; the GRU is
 * linear-before-reset, as PyTorch computes it; a stack of L layers becomes L Rill layers, a
 * bidirectional one with directions [forward, reverse].
 */
public final class PyTorchImporter {

  /** The most modules for which the architecture is inferred; larger models need a spec. */
  static final int MAX_INFERRED_MODULES = 10;

  private static final int[] LSTM_TO_ONNX = {0, 3, 1, 2}; // i,f,g,o -> i,o,f,c
  private static final int[] GRU_TO_ONNX = {1, 0, 2};     // r,z,n -> z,r,h
  private static final int[] RNN_TO_ONNX = {0};

  private PyTorchImporter() {}

  /**
   * Imports a safetensors file.
   *
   * @throws IOException if the file is malformed ({@link dev.rill.converter.safetensors.SafetensorsFormatException}),
   *     the architecture is ambiguous or inconsistent ({@link PyTorchImportException}), or the result is not a valid model
   */
  public static RillModel importModel(Path safetensors, PyTorchImportOptions options) throws IOException {
    try (SafetensorsFile file = SafetensorsFile.open(safetensors)) {
      return importModel(file, options);
    }
  }

  /**
   * Imports an open safetensors file.
   *
   * @throws IOException as {@link #importModel(Path, PyTorchImportOptions)}
   */
  public static RillModel importModel(SafetensorsFile file, PyTorchImportOptions options) throws IOException {
    if (file.tensors().isEmpty()) {
      throw new PyTorchImportException(file.path() + " holds no tensors");
    }
    List<ScannedModule> scanned = ScannedModule.scan(file.tensors());
    List<ResolvedModule> chain = options.spec() != null ? fromSpec(scanned, options.spec()) : infer(scanned);
    return build(file, chain, options);
  }

  // ---------------------------------------------------------------------------------------------
  // Architecture

  private static List<ResolvedModule> fromSpec(List<ScannedModule> scanned, ArchitectureSpec spec) throws PyTorchImportException {
    Map<String, ScannedModule> byName = new HashMap<>();
    for (ScannedModule m : scanned) {
      byName.put(m.name(), m);
    }
    List<ResolvedModule> chain = new ArrayList<>();
    for (ModuleSpec s : spec.modules()) {
      ScannedModule m = byName.remove(s.name());
      if (m == null) {
        throw new PyTorchImportException("spec module '" + s.name() + "' has no tensors in the file (modules found: "
            + scanned.stream().map(x -> "'" + x.name() + "'").collect(Collectors.joining(", ")) + ")");
      }
      ResolvedModule r = resolveAs(m, s.kind());
      if (r.kind() != s.kind()) {
        throw new PyTorchImportException("spec module '" + s.name() + "' is declared " + s.kind().specName() + " but its weights are those of "
            + r.kind().specName());
      }
      chain.add(r);
    }
    if (!byName.isEmpty()) {
      throw new PyTorchImportException("the spec does not list module(s) " + byName.values().stream()
          .map(m -> "'" + m.name() + "'").sorted().collect(Collectors.joining(", ")) + " found in the file");
    }
    String problem = chainProblem(chain);
    if (problem != null) {
      throw new PyTorchImportException("the spec's modules do not fit together: " + problem);
    }
    return chain;
  }

  private static ResolvedModule resolveAs(ScannedModule m, ModuleKind kind) throws PyTorchImportException {
    return switch (m.family()) {
      case STACK, CELL -> {
        if (!kind.isRecurrent() || kind.isCell() != (m.family() == ScannedModule.Family.CELL)) {
          throw new PyTorchImportException("module '" + m.displayName() + "' is declared " + kind.specName()
              + " but its parameters are named like an " + (m.family() == ScannedModule.Family.CELL ? "RNN cell (weight_ih)" : "RNN stack (weight_ih_l0)"));
        }
        yield ResolvedModule.recurrent(m);
      }
      case PLAIN -> switch (kind) {
        case LINEAR -> ResolvedModule.linear(m);
        case EMBEDDING -> ResolvedModule.embedding(m);
        default -> throw new PyTorchImportException("module '" + m.displayName() + "' is declared " + kind.specName()
            + " but has only weight/bias parameters (a linear or embedding module)");
      };
    };
  }

  /** Why a chain is not a valid model, or null if it is one. */
  private static String chainProblem(List<ResolvedModule> chain) {
    String problem = prefixProblem(chain);
    if (problem != null) {
      return problem;
    }
    return chain.stream().anyMatch(r -> r.kind().isRecurrent()) ? null
        : "there is no recurrent module (nn.LSTM, nn.GRU, nn.RNN or a cell)";
  }

  /** Why a chain cannot be the start of a valid model, or null if it can. */
  private static String prefixProblem(List<ResolvedModule> chain) {
    boolean recurrentSeen = false;
    boolean denseSeen = false;
    for (int i = 0; i < chain.size(); i++) {
      ResolvedModule r = chain.get(i);
      if (r.kind() == ModuleKind.EMBEDDING && i != 0) {
        return "embedding module '" + r.module().displayName() + "' must come first";
      }
      if (r.kind().isRecurrent()) {
        if (denseSeen) {
          return "recurrent module '" + r.module().displayName() + "' comes after a linear module (Rill applies linear modules after the recurrent ones)";
        }
        recurrentSeen = true;
      }
      if (r.kind() == ModuleKind.LINEAR) {
        if (!recurrentSeen) {
          return "linear module '" + r.module().displayName() + "' comes before any recurrent module (Rill applies linear modules after the recurrent ones)";
        }
        denseSeen = true;
      }
      if (i > 0 && chain.get(i - 1).outputSize() != r.inputSize()) {
        return "module '" + r.module().displayName() + "' takes " + r.inputSize() + " inputs but module '"
            + chain.get(i - 1).module().displayName() + "' produces " + chain.get(i - 1).outputSize();
      }
    }
    return null;
  }

  private static List<ResolvedModule> infer(List<ScannedModule> scanned) throws PyTorchImportException {
    if (scanned.size() > MAX_INFERRED_MODULES) {
      throw new PyTorchImportException("the file has " + scanned.size() + " modules, more than the " + MAX_INFERRED_MODULES
          + " whose order is inferred; give the order in a spec file (--spec)");
    }
    if (scanned.stream().allMatch(m -> m.family() == ScannedModule.Family.PLAIN)) {
      throw new PyTorchImportException("there is no recurrent module (nn.LSTM, nn.GRU, nn.RNN or a cell) among ["
          + scanned.stream().map(ScannedModule::displayName).collect(Collectors.joining(", ")) + "]");
    }
    List<List<ResolvedModule>> readings = new ArrayList<>();
    for (ScannedModule m : scanned) {
      List<ResolvedModule> options = new ArrayList<>();
      switch (m.family()) {
        case STACK, CELL -> options.add(ResolvedModule.recurrent(m));
        case PLAIN -> {
          options.add(ResolvedModule.linear(m));
          if (m.param("bias") == null) {
            options.add(ResolvedModule.embedding(m));
          }
        }
      }
      readings.add(options);
    }
    List<List<ResolvedModule>> found = new ArrayList<>();
    search(readings, new boolean[scanned.size()], new ArrayList<>(), found);
    if (found.size() == 1) {
      return found.get(0);
    }
    String modules = scanned.stream().map(ScannedModule::displayName).collect(Collectors.joining(", "));
    if (found.isEmpty()) {
      throw new PyTorchImportException("no order of the modules [" + modules + "] forms a model (embedding?, recurrent+, linear*, "
          + "each taking the previous one's output size); check the file, or give the architecture in a spec file (--spec)");
    }
    throw new PyTorchImportException("the architecture is ambiguous: both " + render(found.get(0)) + " and " + render(found.get(1))
        + " fit the names and shapes; list the modules in order in a spec file (--spec)");
  }

  /** Collects up to two complete chains that use every module once and satisfy {@link #chainProblem}. */
  private static void search(List<List<ResolvedModule>> readings, boolean[] used, List<ResolvedModule> chain, List<List<ResolvedModule>> found) {
    if (found.size() >= 2) {
      return;
    }
    if (chain.size() == readings.size()) {
      if (chainProblem(chain) == null) {
        found.add(List.copyOf(chain));
      }
      return;
    }
    for (int i = 0; i < readings.size(); i++) {
      if (used[i]) {
        continue;
      }
      for (ResolvedModule r : readings.get(i)) {
        chain.add(r);
        if (prefixProblem(chain) == null) {
          used[i] = true;
          search(readings, used, chain, found);
          used[i] = false;
        }
        chain.remove(chain.size() - 1);
      }
    }
  }

  private static String render(List<ResolvedModule> chain) {
    return chain.stream().map(ResolvedModule::describe).collect(Collectors.joining(" -> ", "[", "]"));
  }

  // ---------------------------------------------------------------------------------------------
  // Building the model

  private static RillModel build(SafetensorsFile file, List<ResolvedModule> chain, PyTorchImportOptions options) throws IOException {
    ModelBuilder model = ModelBuilder.create()
        .weightType(options.weightType())
        .metadata("source.format", "safetensors (PyTorch state_dict)")
        .metadata("source.file", String.valueOf(file.path().getFileName()))
        .metadata("converter", "rill convert --from safetensors")
        .metadata("architecture", render(chain));
    file.metadata().forEach((k, v) -> model.metadata("safetensors." + k, v));
    ArchitectureSpec spec = options.spec();
    Map<String, ModuleSpec> specs = new HashMap<>();
    if (spec != null) {
      spec.metadata().forEach(model::metadata);
      spec.modules().forEach(s -> specs.put(s.name(), s));
    }
    ResolvedModule first = chain.get(0);
    ResolvedModule last = chain.get(chain.size() - 1);
    if (options.outputActivation() != OutputActivation.NONE && last.kind() != ModuleKind.LINEAR) {
      throw new PyTorchImportException("an output activation needs a linear module at the end of the model, but the last module is "
          + last.describe());
    }
    if (first.kind() != ModuleKind.EMBEDDING) {
      if (spec != null && !spec.vocabulary().isEmpty()) {
        // A vector model has no token ids to name: dropping the list silently would hide a wrong spec or file.
        throw new PyTorchImportException("the spec has a vocabulary of " + spec.vocabulary().size() + " tokens, but "
            + "the model starts with " + first.describe() + ", not an embedding: it takes float vectors, not token "
            + "ids; remove \"vocabulary\" from the spec or import the model with its nn.Embedding");
      }
      model.input(first.inputSize());
    } else if (spec != null && !spec.vocabulary().isEmpty() && spec.vocabulary().size() != first.inputSize()) {
      throw new PyTorchImportException("the spec's vocabulary has " + spec.vocabulary().size() + " tokens but embedding '"
          + first.module().displayName() + "' has " + first.inputSize() + " rows");
    }
    for (ResolvedModule r : chain) {
      ModuleSpec s = specs.get(r.module().name());
      String base = r.module().name().isEmpty() ? r.kind().specName() : r.module().name();
      switch (r.kind()) {
        case EMBEDDING -> {
          model.embedding(r.inputSize(), r.outputSize(), read(file, r, "weight"));
          if (spec != null && !spec.vocabulary().isEmpty()) {
            model.vocabulary(spec.vocabulary());
          }
        }
        case LINEAR -> {
          OutputActivation activation = s != null && s.activation() != null ? s.activation()
              : r == last ? options.outputActivation() : OutputActivation.NONE;
          model.dense(base, r.outputSize(), read(file, r, "weight"), r.bias() ? read(file, r, "bias") : null, activation);
        }
        default -> {
          Nonlinearity nonlinearity = s != null && s.nonlinearity() != null ? s.nonlinearity() : options.rnnNonlinearity();
          for (int k = 0; k < r.layers(); k++) {
            addRecurrentLayer(model, file, r, k, r.kind().isCell() ? base : base + ".l" + k, nonlinearity);
          }
        }
      }
    }
    return model.build();
  }

  private static void addRecurrentLayer(ModelBuilder model, SafetensorsFile file, ResolvedModule r, int layer, String name,
      Nonlinearity nonlinearity) throws IOException {
    boolean cell = r.kind().isCell();
    int gates = r.kind().gates();
    int h = r.hidden();
    int d = r.directions();
    int x = layer == 0 ? r.inputSize() : d * h;
    int[] order = gates == 4 ? LSTM_TO_ONNX : gates == 3 ? GRU_TO_ONNX : RNN_TO_ONNX;
    float[] w = new float[d * gates * h * x];
    float[] rec = new float[d * gates * h * h];
    float[] b = r.bias() ? new float[d * 2 * gates * h] : null;
    for (int dir = 0; dir < d; dir++) {
      boolean reverse = dir == 1;
      reorderGates(read(file, r, ResolvedModule.param("weight_ih", cell, layer, reverse)), order, h, x, w, dir * gates * h * x);
      reorderGates(read(file, r, ResolvedModule.param("weight_hh", cell, layer, reverse)), order, h, h, rec, dir * gates * h * h);
      if (b != null) {
        reorderGates(read(file, r, ResolvedModule.param("bias_ih", cell, layer, reverse)), order, h, 1, b, dir * 2 * gates * h);
        reorderGates(read(file, r, ResolvedModule.param("bias_hh", cell, layer, reverse)), order, h, 1, b, dir * 2 * gates * h + gates * h);
      }
    }
    Direction direction = d == 2 ? Direction.BIDIRECTIONAL : Direction.FORWARD;
    switch (gates) {
      case 4 -> model.lstm(name, direction, h, w, rec, b);
      case 3 -> model.gru(name, direction, h, w, rec, b, true); // PyTorch computes the GRU linear-before-reset
      default -> {
        model.rnn(name, direction, h, w, rec, b);
        if (nonlinearity == Nonlinearity.RELU) {
          Activation relu = ModelBuilder.activation(ActivationKind.RELU);
          model.activations(d == 2 ? new Activation[] {relu, relu} : new Activation[] {relu});
        }
      }
    }
  }

  /**
   * Copies gate blocks of {@code src} ([G*H, cols]) into {@code dst} at {@code offset} in the new order:
   * new block j is old block {@code order[j]}.
   */
  static void reorderGates(float[] src, int[] order, int hidden, int cols, float[] dst, int offset) {
    int block = hidden * cols;
    for (int j = 0; j < order.length; j++) {
      System.arraycopy(src, order[j] * block, dst, offset + j * block, block);
    }
  }

  private static float[] read(SafetensorsFile file, ResolvedModule r, String param) throws IOException {
    return file.readFloats(r.module().tensorName(param));
  }
}
