package dev.rill.trainer.nn;

import dev.rill.format.ModelBuilder;
import dev.rill.format.proto.ActivationKind;
import dev.rill.format.proto.Direction;
import dev.rill.format.proto.RillModel;
import dev.rill.trainer.tensor.Activation;
import dev.rill.trainer.tensor.Matrix;
import dev.rill.trainer.tensor.Ops;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;

/**
 * A trainable network: input (embedding, one-hot or vectors) → recurrent layers (while training, dropout on
 * each one's outputs) → dense head → loss. Trained many-to-one ({@link NetworkSpec#lastStepOnly}), the head
 * sees the last step's output, as the exported model computes it at that step: for a bidirectional layer, the
 * reverse direction has then seen only the last input. It runs windows of T steps of B independent streams, carrying each
 * stream's state from one window to the next (truncated backpropagation through time), and exports itself as a
 * Rill model whose runtime output is the head's activation.
 *
 * <p>Not thread-safe. A network's matrices are of one precision, chosen by its {@link Ops}.
 */
public final class Network {
  private final NetworkSpec spec;
  private final Ops ops;
  private final Param embedding;
  private final List<RecurrentLayer> layers = new ArrayList<>();
  private final Param dense;
  private final Param denseBias;
  private final List<Param> params = new ArrayList<>();

  private int steps;
  private int batch;
  private int[] tokens;
  private Matrix x0;
  private Matrix dx0;
  private final List<Matrix> layerOutputs = new ArrayList<>();
  private final List<Matrix> masks = new ArrayList<>();
  private Matrix logits;
  private Matrix dLogits;
  private Matrix dTop;
  private boolean masked;
  private Targets targets;

  /**
   * Builds a network with initial weights drawn from {@code seed}: recurrent tensors uniform in ±1/√H, the dense
   * head uniform in ±1/√inputs (PyTorch's defaults), embeddings standard normal.
   *
   * @param spec the architecture
   * @param ops the precision
   * @param seed the seed of the initial weights
   */
  public Network(NetworkSpec spec, Ops ops, long seed) {
    this.spec = spec;
    this.ops = ops;
    SplittableRandom random = new SplittableRandom(seed);
    if (spec.input() == NetworkSpec.InputKind.EMBEDDING) {
      embedding = Param.zeros(ops, "embedding", spec.inputSize(), spec.embedding());
      fill(embedding.value(), () -> random.nextGaussian());
      params.add(embedding);
    } else {
      embedding = null;
    }
    int width = spec.firstLayerInput();
    for (int l = 0; l < spec.layers(); l++) {
      RecurrentLayer layer = new RecurrentLayer(ops, spec.cell().name().toLowerCase() + l, spec.cell(), width, spec.hidden(),
          spec.bidirectional(), spec.peepholes(), spec.rnnActivation());
      double bound = 1 / Math.sqrt(spec.hidden());
      for (Param p : layer.params()) {
        fill(p.value(), () -> random.nextDouble(-bound, bound));
      }
      layers.add(layer);
      params.addAll(layer.params());
      width = layer.outputSize();
    }
    dense = Param.zeros(ops, "dense.weight", spec.outputs(), width);
    denseBias = Param.zeros(ops, "dense.bias", 1, spec.outputs());
    double bound = 1 / Math.sqrt(width);
    fill(dense.value(), () -> random.nextDouble(-bound, bound));
    fill(denseBias.value(), () -> random.nextDouble(-bound, bound));
    params.add(dense);
    params.add(denseBias);
  }

  private static void fill(Matrix m, java.util.function.DoubleSupplier values) {
    for (int i = 0; i < m.rows(); i++) {
      for (int j = 0; j < m.cols(); j++) {
        m.set(i, j, values.getAsDouble());
      }
    }
  }

  /** @return the architecture */
  public NetworkSpec spec() {
    return spec;
  }

  /** @return every trained tensor, in a fixed order */
  public List<Param> params() {
    return Collections.unmodifiableList(params);
  }

  /** @return the recurrent layers */
  public List<RecurrentLayer> layers() {
    return Collections.unmodifiableList(layers);
  }

  /** Sets every stream's carried state to zero. */
  public void resetState() {
    layers.forEach(RecurrentLayer::resetState);
  }

  /**
   * Runs a window of token ids forward.
   *
   * @param ids the token ids, time-major (row t·B + b)
   * @param t steps
   * @param b streams
   * @param targets what to compute the loss against, or null for none
   * @param dropoutSeed the seed of this window's dropout masks, or null to run without dropout (inference)
   * @return the mean loss, or NaN without targets
   */
  public double forward(int[] ids, int t, int b, Targets targets, Long dropoutSeed) {
    if (!spec.takesTokens()) {
      throw new IllegalArgumentException("this network takes vectors, not token ids");
    }
    if (ids.length != t * b) {
      throw new IllegalArgumentException("expected " + t * b + " token ids (" + t + " steps x " + b + " streams), got " + ids.length);
    }
    shape(t, b);
    tokens = ids;
    ops.fill(x0, 0);
    for (int row = 0; row < ids.length; row++) {
      int id = ids[row];
      if (id < 0 || id >= spec.inputSize()) {
        throw new IllegalArgumentException("token id " + id + " is outside the vocabulary [0, " + spec.inputSize() + ")");
      }
      if (embedding != null) {
        ops.copy(x0.rows(row, 1), embedding.value().rows(id, 1));   // x = E[id]
      } else {
        x0.set(row, id, 1);                                          // x = onehot(id)
      }
    }
    return run(targets, dropoutSeed);
  }

  /**
   * Runs a window of vectors forward.
   *
   * @param vectors the inputs [T·B, inputSize], time-major
   * @param t steps
   * @param b streams
   * @param targets what to compute the loss against, or null for none
   * @param dropoutSeed the seed of this window's dropout masks, or null to run without dropout
   * @return the mean loss, or NaN without targets
   */
  public double forward(float[] vectors, int t, int b, Targets targets, Long dropoutSeed) {
    if (spec.takesTokens()) {
      throw new IllegalArgumentException("this network takes token ids, not vectors");
    }
    shape(t, b);
    tokens = null;
    x0.setAll(vectors);
    return run(targets, dropoutSeed);
  }

  private void shape(int t, int b) {
    if (t < 1 || b < 1) {
      throw new IllegalArgumentException("a window needs at least one step and one stream, got " + t + " x " + b);
    }
    if (t == steps && b == batch) {
      return;
    }
    steps = t;
    batch = b;
    x0 = ops.zeros(t * b, spec.firstLayerInput());
    dx0 = ops.zeros(t * b, spec.firstLayerInput());
    masks.clear();
    for (RecurrentLayer layer : layers) {
      masks.add(ops.zeros(t * b, layer.outputSize()));
    }
    int headRows = spec.lastStepOnly() ? b : t * b;
    logits = ops.zeros(headRows, spec.outputs());
    dLogits = ops.zeros(headRows, spec.outputs());
    dTop = ops.zeros(t * b, layers.getLast().outputSize());
  }

  private double run(Targets targets, Long dropoutSeed) {
    if (targets != null) {
      checkTargets(targets);
    }
    this.targets = targets;
    masked = dropoutSeed != null && spec.dropout() > 0;
    SplittableRandom random = masked ? new SplittableRandom(dropoutSeed) : null;
    layerOutputs.clear();
    Matrix x = x0;
    for (int l = 0; l < layers.size(); l++) {
      Matrix y = layers.get(l).forward(x, steps, batch);
      if (masked) {
        Matrix mask = masks.get(l);
        double keep = 1 - spec.dropout();
        fill(mask, () -> random.nextDouble() < keep ? 1 / keep : 0);        // inverted dropout
        ops.mul(y, y, mask);
      }
      layerOutputs.add(y);
      x = y;
    }
    Matrix top = head(x);
    ops.gemm(top, false, dense.value(), true, logits, false);                // z = y·Dᵀ + b
    ops.addRow(logits, denseBias.value());
    if (targets == null) {
      return Double.NaN;
    }
    double scale = 1.0 / logits.rows();
    double sum = 0;
    for (int row = 0; row < logits.rows(); row++) {
      sum += spec.loss().apply(logits, row, targets, row, dLogits, scale);
    }
    return sum * scale;
  }

  private void checkTargets(Targets targets) {
    int rows = spec.lastStepOnly() ? batch : steps * batch;
    String which = spec.lastStepOnly() ? "the last step of each of " + batch + " streams" : steps + " steps x " + batch + " streams";
    if (spec.loss() == Loss.SOFTMAX_CROSS_ENTROPY) {
      if (targets.classes() == null) {
        throw new IllegalArgumentException("a softmax cross-entropy loss takes target classes, not values");
      }
      if (targets.classes().length != rows) {
        throw new IllegalArgumentException("expected " + rows + " target classes (" + which + "), got " + targets.classes().length);
      }
      for (int c : targets.classes()) {
        if (c < 0 || c >= spec.outputs()) {
          throw new IllegalArgumentException("target class " + c + " is outside [0, " + spec.outputs() + ")");
        }
      }
    } else {
      if (targets.values() == null) {
        throw new IllegalArgumentException(spec.loss() + " takes target values, not classes");
      }
      if (targets.values().length != (long) rows * spec.outputs()) {
        throw new IllegalArgumentException("expected " + (long) rows * spec.outputs() + " target values (" + which + " x "
            + spec.outputs() + " outputs), got " + targets.values().length);
      }
    }
  }

  private Matrix head(Matrix top) {
    return spec.lastStepOnly() ? top.rows((steps - 1) * batch, batch) : top;
  }

  /**
   * Backpropagates the last forward window's loss, adding to every parameter's gradient.
   *
   * @throws IllegalStateException if the last forward pass had no targets
   */
  public void backward() {
    if (targets == null) {
      throw new IllegalStateException("backward needs a forward pass with targets");
    }
    Matrix top = head(layerOutputs.getLast());
    ops.gemm(dLogits, true, top, false, dense.grad(), true);                 // dD += dzᵀ·y
    ops.addColumnSums(denseBias.grad(), dLogits);                            // db += Σ dz
    ops.fill(dTop, 0);
    ops.gemm(dLogits, false, dense.value(), false, head(dTop), false);       // dy = dz·D
    Matrix dy = dTop;
    for (int l = layers.size() - 1; l >= 0; l--) {
      if (masked) {
        ops.mul(dy, dy, masks.get(l));
      }
      dy = layers.get(l).backward(dy);
    }
    if (embedding != null) {
      for (int row = 0; row < tokens.length; row++) {
        Matrix g = embedding.grad().rows(tokens[row], 1);
        ops.add(g, g, dy.rows(row, 1));                                      // dE[id] += dx
      }
    }
  }

  /**
   * @return the head's outputs of the last forward window, before the exported activation: [rows, outputs]; a
   *     buffer that the next forward pass overwrites
   */
  public Matrix logits() {
    return logits;
  }

  /** Sets every parameter's gradient to zero. */
  public void zeroGradients() {
    for (Param p : params) {
      ops.fill(p.grad(), 0);
    }
  }

  /**
   * The model for the runtime: same weights in float32, the head's activation from the loss.
   *
   * @param vocabulary the tokens of a token model (null for none)
   * @param metadata producer metadata
   * @return the model
   */
  public RillModel export(List<String> vocabulary, Map<String, String> metadata) {
    ModelBuilder builder = ModelBuilder.create();
    switch (spec.input()) {
      case EMBEDDING -> builder.embedding(spec.inputSize(), spec.embedding(), embedding.value().toFloats());
      case ONE_HOT -> {
        int v = spec.inputSize();
        float[] identity = new float[v * v];
        for (int i = 0; i < v; i++) {
          identity[i * v + i] = 1;
        }
        builder.embedding(v, v, identity);
      }
      case VECTOR -> builder.input(spec.inputSize());
    }
    if (vocabulary != null) {
      builder.vocabulary(vocabulary);
    }
    for (int l = 0; l < layers.size(); l++) {
      addLayer(builder, spec.cell().name().toLowerCase() + l, layers.get(l));
    }
    builder.dense("dense", spec.outputs(), dense.value().toFloats(), denseBias.value().toFloats(), spec.loss().exportedActivation());
    metadata.forEach(builder::metadata);
    return builder.build();
  }

  private void addLayer(ModelBuilder builder, String name, RecurrentLayer layer) {
    List<Cell> dirs = layer.directions();
    Direction direction = dirs.size() == 2 ? Direction.BIDIRECTIONAL : Direction.FORWARD;
    float[] w = concat(dirs.stream().map(c -> c.w().value().toFloats()).toList());
    float[] r = concat(dirs.stream().map(c -> c.r().value().toFloats()).toList());
    List<float[]> biases = new ArrayList<>();
    for (Cell c : dirs) {
      biases.add(c.wb().value().toFloats());
      biases.add(c.rb().value().toFloats());
    }
    float[] b = concat(biases);
    int h = spec.hidden();
    switch (spec.cell()) {
      case LSTM -> {
        builder.lstm(name, direction, h, w, r, b);
        if (spec.peepholes()) {
          builder.peepholes(concat(dirs.stream().map(c -> c.peepholes().value().toFloats()).toList()));
        }
      }
      case GRU -> builder.gru(name, direction, h, w, r, b, false);
      case GRU_LINEAR_BEFORE_RESET -> builder.gru(name, direction, h, w, r, b, true);
      case MINIMAL_GRU -> builder.minimalGru(name, direction, h, w, r, b);
      case RNN -> {
        builder.rnn(name, direction, h, w, r, b);
        if (spec.rnnActivation() == Activation.RELU) {
          builder.activations(dirs.stream().map(c -> ModelBuilder.activation(ActivationKind.RELU))
              .toArray(dev.rill.format.proto.Activation[]::new));
        }
      }
    }
  }

  private static float[] concat(List<float[]> parts) {
    int n = parts.stream().mapToInt(p -> p.length).sum();
    float[] out = new float[n];
    int at = 0;
    for (float[] p : parts) {
      System.arraycopy(p, 0, out, at, p.length);
      at += p.length;
    }
    return out;
  }
}
