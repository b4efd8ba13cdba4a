package dev.rill.runtime;

import dev.rill.format.ModelFormatException;
import dev.rill.format.ModelReader;
import dev.rill.format.ModelValidator;
import dev.rill.format.proto.RillModel;
import dev.rill.runtime.internal.exec.SequenceRunner;
import dev.rill.runtime.internal.exec.StepThreads;
import dev.rill.runtime.internal.exec.StreamStepper;
import dev.rill.runtime.internal.kernel.KernelProvider;
import dev.rill.runtime.internal.kernel.WeightPrecision;
import dev.rill.runtime.internal.layer.EmbeddingLayer;
import dev.rill.runtime.internal.layer.ModelPlan;
import dev.rill.runtime.internal.layer.RecurrentLayer;
import java.io.IOException;
import java.io.InputStream;
import java.lang.foreign.Arena;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.Objects;

/**
 * A loaded recurrent network: its layers with their weights prepared off-heap for the CPU kernels.
 * Immutable and thread-safe: many threads may open sessions and run sequences at once.
 *
 * <p>Stream a model step by step with {@link #newSession()}, or run whole sequences (bidirectional layers
 * included) with {@link #run(SequenceBatch)}. Closing the model frees its off-heap weights; any later call,
 * and any step of a session still open on it, throws IllegalStateException.
 *
 * <p>Arithmetic is IEEE float32 throughout: NaN and infinite inputs or weights propagate to the outputs
 * and the state (they are neither checked nor replaced), and never cause an exception.
 */
public final class Model implements AutoCloseable {

  private final RillModel proto;
  private final LoadOptions options;
  private final Arena arena;
  private final ModelPlan plan;
  private final List<RecurrentLayer> recurrentLayers;
  /** Why the model cannot stream (its first bidirectional or reverse layer), or null. */
  private final String notStreamable;
  /** Workers that split the steps of large layers, or null: started only when threads > 1 can be used. */
  private final StepThreads stepThreads;
  private volatile boolean closed;

  private Model(RillModel proto, LoadOptions options) {
    this.proto = proto;
    this.options = options;
    this.arena = Arena.ofShared();
    ModelPlan builtPlan;
    StepThreads startedThreads = null;
    try {
      builtPlan = ModelPlan.build(proto, precision(options.weights()), KernelProvider.get(), arena);
      boolean splittable = builtPlan.recurrentLayers().stream().flatMap(layer -> layer.cells().stream())
          .anyMatch(cell -> cell.supportsRanges() && cell.spec().hiddenSize() >= StepThreads.DEFAULT_MIN_HIDDEN);
      if (options.threads() > 1 && splittable) {
        startedThreads = new StepThreads(options.threads(), StepThreads.DEFAULT_MIN_HIDDEN);
      }
    } catch (Throwable t) {
      // Errors too (an OutOfMemoryError while packing): a failed load must not keep its off-heap weights.
      if (startedThreads != null) {
        startedThreads.close();
      }
      arena.close();
      throw t;
    }
    this.plan = builtPlan;
    this.stepThreads = startedThreads;
    this.recurrentLayers = plan.recurrentLayers();
    this.notStreamable = recurrentLayers.stream().map(StreamStepper::notStreamableMessage)
        .filter(Objects::nonNull).findFirst().orElse(null);
  }

  /**
   * Reads, validates and loads a {@code .rill} file with the default options.
   *
   * @param path the file
   * @return the model; close it to free its memory
   * @throws ModelFormatException if the file is not a valid model; the message names what is wrong
   * @throws IOException if the file cannot be read
   */
  public static Model load(Path path) throws IOException {
    return load(path, LoadOptions.defaults());
  }

  /**
   * Reads, validates and loads a {@code .rill} file.
   *
   * @param path the file
   * @param options the weight precision and threads
   * @return the model; close it to free its memory
   * @throws ModelFormatException if the file is not a valid model, or needs more than the options'
   *     {@link LoadOptions#maxWeightBytes() weight budget}; the message names what is wrong
   * @throws IOException if the file cannot be read
   */
  public static Model load(Path path, LoadOptions options) throws IOException {
    Objects.requireNonNull(path, "path");
    return create(new ModelReader().read(path), options);
  }

  /**
   * Validates and loads the bytes of a {@code .rill} file with the default options.
   *
   * @param bytes the whole file
   * @return the model; close it to free its memory
   * @throws ModelFormatException if the bytes are not a valid model
   */
  public static Model load(byte[] bytes) throws ModelFormatException {
    return load(bytes, LoadOptions.defaults());
  }

  /**
   * Validates and loads the bytes of a {@code .rill} file.
   *
   * @param bytes the whole file
   * @param options the weight precision and threads
   * @return the model; close it to free its memory
   * @throws ModelFormatException if the bytes are not a valid model
   */
  public static Model load(byte[] bytes, LoadOptions options) throws ModelFormatException {
    Objects.requireNonNull(bytes, "bytes");
    return create(new ModelReader().read(bytes), options);
  }

  /**
   * Reads the stream to its end (without closing it), validates and loads the model.
   *
   * @param in the stream holding a {@code .rill} file
   * @return the model; close it to free its memory
   * @throws ModelFormatException if the stream does not hold a valid model
   * @throws IOException if the stream cannot be read
   */
  public static Model load(InputStream in) throws IOException {
    return load(in, LoadOptions.defaults());
  }

  /**
   * Reads the stream to its end (without closing it), validates and loads the model.
   *
   * @param in the stream holding a {@code .rill} file
   * @param options the weight precision and threads
   * @return the model; close it to free its memory
   * @throws ModelFormatException if the stream does not hold a valid model
   * @throws IOException if the stream cannot be read
   */
  public static Model load(InputStream in, LoadOptions options) throws IOException {
    Objects.requireNonNull(in, "in");
    return create(new ModelReader().read(in), options);
  }

  /**
   * Validates and loads an in-memory model with the default options.
   *
   * @param model the model message
   * @return the model; close it to free its memory
   * @throws IllegalArgumentException if the model is invalid; the message names what is wrong
   */
  public static Model of(RillModel model) {
    return of(model, LoadOptions.defaults());
  }

  /**
   * Validates and loads an in-memory model.
   *
   * @param model the model message
   * @param options the weight precision and threads
   * @return the model; close it to free its memory
   * @throws IllegalArgumentException if the model is invalid or needs more than the options'
   *     {@link LoadOptions#maxWeightBytes() weight budget} (its cause is the {@link ModelFormatException});
   *     the message names what is wrong
   */
  public static Model of(RillModel model, LoadOptions options) {
    Objects.requireNonNull(model, "model");
    try {
      ModelValidator.validate(model);
      return create(model, options);
    } catch (ModelFormatException e) {
      throw new IllegalArgumentException("invalid model: " + e.getMessage(), e);
    }
  }

  /** Loads a model that the format module has validated, within the options' weight budget. */
  private static Model create(RillModel validated, LoadOptions options) throws ModelFormatException {
    Objects.requireNonNull(options, "options");
    long needed = ModelPlan.preparedBytes(validated, precision(options.weights()));
    if (needed > options.maxWeightBytes()) {
      throw new ModelFormatException("the model's " + validated.getLayersCount() + " layers need "
          + (needed == Long.MAX_VALUE ? "more than 2^63" : needed) + " bytes of " + options.weights()
          + " weights, more than the load budget of " + options.maxWeightBytes() + " bytes (every layer counts, "
          + "also when layers share tensors); if the file is trusted, raise LoadOptions.builder().maxWeightBytes(...)");
    }
    return new Model(validated, options);
  }

  /** The floats per step of a vector model, or the vocabulary size of a token model. */
  public int inputSize() {
    ensureOpen();
    return isTokenModel() ? plan.embedding().vocabularySize() : plan.inputSize();
  }

  /** The floats per step of the output (the last layer's output). */
  public int outputSize() {
    ensureOpen();
    return plan.outputSize();
  }

  /** True when a step consumes a token id rather than a float vector. */
  public boolean isTokenModel() {
    ensureOpen();
    return plan.embedding() != null;
  }

  /** The token strings of a token model, indexed by id; empty for a vector model. */
  public List<String> vocabulary() {
    ensureOpen();
    return proto.getVocabulary().getTokensList();
  }

  /** The producer metadata of the file (source, converter or trainer version, settings, ...). */
  public Map<String, String> metadata() {
    ensureOpen();
    return proto.getMetadataMap();
  }

  /** The validated model message this model was loaded from. */
  public RillModel proto() {
    ensureOpen();
    return proto;
  }

  /** The options this model was loaded with. */
  public LoadOptions options() {
    return options;
  }

  /** The number of recurrent layers; the layer index of {@link State} runs over these. */
  public int recurrentLayerCount() {
    ensureOpen();
    return recurrentLayers.size();
  }

  /**
   * False when the model has a bidirectional or reverse layer: such layers need whole sequences
   * ({@link #run}).
   */
  public boolean isStreamable() {
    ensureOpen();
    return notStreamable == null;
  }

  /**
   * Opens a session that streams one time step at a time from a zero state. The session is used by one
   * thread at a time and must be closed.
   *
   * @return a new session
   * @throws IllegalStateException if the model has a bidirectional or reverse layer, or is closed
   */
  public StreamingSession newSession() {
    ensureOpen();
    if (notStreamable != null) {
      throw new IllegalStateException(notStreamable);
    }
    return new StreamingSession(this);
  }

  /**
   * Opens a batch of up to {@code capacity} independent streams that are stepped together, one matrix-matrix
   * product per layer and step instead of one matrix-vector product per stream. Streams join and leave
   * through the batch's slots; all its memory is allocated here. The batch is used by one thread at a time
   * and must be closed.
   *
   * @param capacity the largest number of streams open at once, in [1, {@link StreamBatch#MAX_CAPACITY}]
   * @return a batch with every slot free
   * @throws IllegalArgumentException if {@code capacity} is less than 1 or more than
   *     {@link StreamBatch#MAX_CAPACITY}
   * @throws IllegalStateException if the model has a bidirectional or reverse layer, or is closed
   */
  public StreamBatch newStreamBatch(int capacity) {
    ensureOpen();
    if (notStreamable != null) {
      throw new IllegalStateException(notStreamable);
    }
    return new StreamBatch(this, capacity);
  }

  /**
   * Runs a batch of whole sequences and returns every step's output and the final state. Thread-safe.
   *
   * @param batch the sequences, their lengths and initial state
   * @return the outputs and final state
   * @throws IllegalArgumentException if the batch does not fit the model (input kind, sizes, token range,
   *     initial state shape), or if an output or final state would be longer than a Java array can be
   *     ({@code steps × batch × outputSize} floats); checked before any work
   */
  public SequenceResult run(SequenceBatch batch) {
    ensureOpen();
    Objects.requireNonNull(batch, "batch");
    int steps = batch.steps();
    int n = batch.batch();
    if (batch.isTokens()) {
      EmbeddingLayer embedding = requireTokenModel(true);
      for (int token : batch.tokens()) {
        embedding.checkToken(token);
      }
    } else {
      requireTokenModel(false);
      long expected = (long) steps * n * plan.inputSize();
      if (batch.vectors().length != expected) {
        throw new IllegalArgumentException("the batch has " + batch.vectors().length + " floats but steps " + steps
            + " × batch " + n + " × inputSize " + plan.inputSize() + " = " + expected);
      }
    }
    State initial = batch.initialState();
    if (initial != null) {
      initial.checkFits(recurrentLayers, n);
    }
    SequenceRunner.Result result = SequenceRunner.run(plan, batch.vectors(), batch.tokens(), steps, n,
        batch.lengthsOrFull(), initial == null ? null : initial.hiddenArrays(),
        initial == null ? null : initial.cellArrays());
    State finalState = new State(recurrentLayers, n, result.finalHidden(), result.finalCell());
    return new SequenceResult(result.output(), steps, n, plan.outputSize(), result.layerOutputs(), finalState);
  }

  /** Frees the off-heap weights. Idempotent. Sessions opened on this model fail on their next call. */
  @Override
  public synchronized void close() {
    if (!closed) {
      closed = true;
      if (stepThreads != null) {
        stepThreads.close();
      }
      arena.close();
    }
  }

  /** True once {@link #close()} was called. */
  public boolean isClosed() {
    return closed;
  }

  @Override
  public String toString() {
    return "Model[" + (closed ? "closed" : plan.layers().size() + " layers, input " + plan.inputSize()
        + ", output " + plan.outputSize() + ", " + options + "]");
  }

  ModelPlan plan() {
    ensureOpen();
    return plan;
  }

  /** The model's step threads, or null when steps run on the calling thread only. */
  StepThreads stepThreads() {
    return stepThreads;
  }

  List<RecurrentLayer> recurrentLayers() {
    return recurrentLayers;
  }

  /** Checks the input kind of a call; returns the embedding of a token model. */
  EmbeddingLayer requireTokenModel(boolean tokens) {
    EmbeddingLayer embedding = plan.embedding();
    if (tokens && embedding == null) {
      throw new IllegalArgumentException("this model takes float vectors of " + plan.inputSize()
          + " values, not token ids");
    }
    if (!tokens && embedding != null) {
      throw new IllegalArgumentException("this is a token model (vocabulary of " + embedding.vocabularySize()
          + "): pass token ids, not float vectors");
    }
    return embedding;
  }

  void ensureOpen() {
    if (closed) {
      throw new IllegalStateException("model is closed");
    }
  }

  private static WeightPrecision precision(WeightType type) {
    return switch (type) {
      case FP32 -> WeightPrecision.FP32;
      case BF16 -> WeightPrecision.BF16;
      case INT8 -> WeightPrecision.INT8;
    };
  }
}
