package dev.rill.trainer;

import dev.rill.format.ModelReader;
import dev.rill.format.ModelWriter;
import dev.rill.format.Tensors;
import dev.rill.format.proto.RillModel;
import dev.rill.format.proto.Tensor;
import dev.rill.trainer.data.CharCorpus;
import dev.rill.trainer.data.StreamWindows;
import dev.rill.trainer.nn.Network;
import dev.rill.trainer.nn.NetworkSpec;
import dev.rill.trainer.nn.Param;
import dev.rill.trainer.nn.Targets;
import dev.rill.trainer.optim.GradientClipping;
import dev.rill.trainer.optim.Optimizer;
import dev.rill.trainer.tensor.Matrix;
import dev.rill.trainer.tensor.Ops;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Trains a character language model on a text: the last part of the text is held out for validation, the rest
 * is walked in windows of B streams × T steps with the state carried across windows; after each epoch the model
 * is validated, written to the output file when its validation loss is the best so far (so the file always
 * holds the best model), and a checkpoint is written beside it from which {@link #resume} continues to a
 * bit-identical result. Every file is written atomically.
 *
 * <p>On one machine (the products' order of additions depends on its vector width), the same seed, text and
 * options give a bit-identical model file, whatever the thread count. Close the trainer to stop the threads of its matrix products.
 */
public final class LanguageModelTrainer implements AutoCloseable {
  private static final double LN2 = Math.log(2);
  private static final String PARAM = "train/param/";
  private static final String STATE = "train/state/";

  private final TrainingOptions options;
  private final CharCorpus corpus;
  private final Path output;
  private final Path checkpoint;
  private final TrainingListener listener;
  private final Ops ops;
  private final Network network;
  private final Optimizer optimizer;
  private final StreamWindows train;
  private final StreamWindows validation;
  private int epochsDone;
  private double best = Double.POSITIVE_INFINITY;
  private int sinceBest;
  private final List<double[]> history = new ArrayList<>();

  /**
   * Prepares a run.
   *
   * @param corpus the text
   * @param options the settings
   * @param output where to write the best model; the checkpoint goes beside it as {@code NAME.checkpoint}
   * @param listener progress
   * @throws IllegalArgumentException if the text is too short for the settings
   */
  public LanguageModelTrainer(CharCorpus corpus, TrainingOptions options, Path output, TrainingListener listener) {
    this.options = options;
    this.corpus = corpus;
    this.output = output;
    this.checkpoint = checkpointOf(output);
    this.listener = listener;
    int split = (int) Math.round(corpus.length() * (1 - options.validationFraction()));
    int validationStreams = Math.max(1, Math.min(options.batch(), (corpus.length() - split - 1) / (options.seqLen() + 1)));
    try {
      this.train = new StreamWindows(corpus.ids(0, split), options.batch(), options.seqLen());
      this.validation = new StreamWindows(corpus.ids(split, corpus.length()), validationStreams, options.seqLen());
    } catch (IllegalArgumentException e) {
      throw new IllegalArgumentException("the text (" + corpus.length() + " characters, " + Math.round(options.validationFraction() * 100)
          + "% held out) is too short for --batch " + options.batch() + " and --seq-len " + options.seqLen() + ": " + e.getMessage());
    }
    NetworkSpec spec = new NetworkSpec(options.embedding() > 0 ? NetworkSpec.InputKind.EMBEDDING : NetworkSpec.InputKind.ONE_HOT,
        corpus.vocabulary().size(), options.embedding(), options.cell(), options.hidden(), options.layers(), false, options.peepholes(),
        options.rnnActivation(), options.dropout(), corpus.vocabulary().size(), dev.rill.trainer.nn.Loss.SOFTMAX_CROSS_ENTROPY, false);
    this.ops = Ops.floats(options.threads());
    this.network = new Network(spec, ops, options.seed());
    this.optimizer = Optimizer.of(options.optimizer(), network.params(), options.learningRate());
  }

  /**
   * @param output a model file
   * @return the checkpoint written beside it
   */
  public static Path checkpointOf(Path output) {
    return output.resolveSibling(output.getFileName() + ".checkpoint");
  }

  /** Stops the threads of the matrix products (with {@code threads > 1}); the network stays readable. */
  @Override
  public void close() {
    ops.close();
  }

  /** @return the network being trained */
  public Network network() {
    return network;
  }

  /**
   * Continues from a checkpoint written by a run with the same text and settings.
   *
   * @param file the checkpoint
   * @throws IOException if it cannot be read
   * @throws IllegalArgumentException if it was written by a run with another text or other settings
   */
  public void resume(Path file) throws IOException {
    RillModel model = new ModelReader().read(file);
    Map<String, String> meta = model.getMetadataMap();
    String expected = fingerprint();
    if (!expected.equals(meta.get("train.fingerprint"))) {
      throw new IllegalArgumentException(file + " was written by a run with other settings or another text:\n  checkpoint: "
          + meta.get("train.fingerprint") + "\n  this run:   " + expected);
    }
    Map<String, Tensor> tensors = Tensors.byName(model);
    for (Param p : network.params()) {
      load(tensors, PARAM + p.name(), p.value());
    }
    for (Map.Entry<String, Matrix> e : optimizer.state().entrySet()) {
      load(tensors, STATE + e.getKey(), e.getValue());
    }
    optimizer.setUpdates(Long.parseLong(meta.get("train.updates")));
    epochsDone = Integer.parseInt(meta.get("train.epochs"));
    best = Double.parseDouble(meta.get("train.best"));
    sinceBest = Integer.parseInt(meta.get("train.sinceBest"));
    history.clear();
    String curve = meta.getOrDefault("train.history", "");
    for (String point : curve.isEmpty() ? new String[0] : curve.split(";")) {
      String[] v = point.split(",");
      history.add(new double[] {Double.parseDouble(v[0]), Double.parseDouble(v[1])});
    }
    listener.message("resumed from " + file + " after epoch " + epochsDone + " (best validation " + String.format("%.4f", best / LN2)
        + " bits/char)");
  }

  private static void load(Map<String, Tensor> tensors, String name, Matrix into) {
    Tensor t = tensors.get(name);
    if (t == null) {
      throw new IllegalArgumentException("the checkpoint has no tensor " + name);
    }
    into.setAll(Tensors.toFloats(t));
  }

  /**
   * Trains until the epochs, the time limit or the patience run out.
   *
   * @return what happened
   * @throws IOException if a file cannot be written
   * @throws TrainingDivergedException if the loss became NaN or infinite (the files keep the last good model)
   */
  public TrainingResult train() throws IOException {
    long start = System.nanoTime();
    long limit = options.minutes() > 0 ? start + (long) (options.minutes() * 60e9) : Long.MAX_VALUE;
    int t = options.seqLen();
    int b = options.batch();
    int[] inputs = new int[t * b];
    int[] targets = new int[t * b];
    Targets target = Targets.ofClasses(targets);
    String stop = "epochs";
    while (epochsDone < options.epochs()) {
      int epoch = epochsDone + 1;
      network.resetState();
      long epochStart = System.nanoTime();
      double sum = 0;
      int windows = train.windows();
      boolean outOfTime = false;
      int done = 0;
      for (int k = 0; k < windows; k++) {
        train.window(k, inputs, targets);
        network.zeroGradients();
        long dropoutSeed = mix(mix(mix(options.seed()) ^ epoch) ^ k);
        double loss = network.forward(inputs, t, b, target, dropoutSeed);
        if (!Double.isFinite(loss)) {
          throw new TrainingDivergedException("the training loss became " + loss + " at epoch " + epoch + ", window " + (k + 1)
              + (best < Double.POSITIVE_INFINITY ? "; " + output + " keeps the best model so far (epoch with validation "
              + String.format("%.4f", best / LN2) + " bits/char)" : "; no model was written") + ". Try a smaller --lr or --clip.");
        }
        network.backward();
        if (options.clipValue() > 0) {
          GradientClipping.clipElements(network.params(), options.clipValue());
        }
        if (options.clipNorm() > 0) {
          GradientClipping.clipGlobalNorm(network.params(), options.clipNorm());
        }
        optimizer.step();
        sum += loss;
        done++;
        double seconds = (System.nanoTime() - epochStart) / 1e9;
        listener.window(epoch, k + 1, windows, loss / LN2, done * (double) t * b / seconds);
        if (System.nanoTime() > limit) {
          outOfTime = true;
          break;
        }
      }
      double validationLoss = evaluate(validation);
      if (!Double.isFinite(validationLoss)) {
        // Checked before any file is written: the model and checkpoint on disk stay those of the last good epoch.
        throw new TrainingDivergedException("the validation loss became " + validationLoss + " after epoch " + epoch + "; "
            + (Files.exists(output) ? output + " keeps the best model so far" : "no model was written") + ". Try a smaller --lr or --clip.");
      }
      double trainLoss = sum / done;
      epochsDone = epoch;
      history.add(new double[] {trainLoss / LN2, validationLoss / LN2});
      boolean improved = validationLoss < best;
      if (improved) {
        best = validationLoss;
        sinceBest = 0;
        ModelWriter.write(model(), output);
      } else {
        sinceBest++;
      }
      if (!outOfTime) {
        ModelWriter.write(checkpointModel(), checkpoint);
      }
      listener.epoch(epoch, trainLoss / LN2, validationLoss / LN2, improved);
      if (outOfTime) {
        stop = "minutes";
        listener.message("stopped after " + options.minutes() + " minutes, in epoch " + epoch + " (window " + done + " of " + windows + ")");
        break;
      }
      if (options.patience() > 0 && sinceBest >= options.patience()) {
        stop = "patience";
        listener.message("stopped: no better validation loss for " + sinceBest + " epochs");
        break;
      }
    }
    return new TrainingResult(epochsDone, best / LN2, List.copyOf(history), (System.nanoTime() - start) / 1e9, stop);
  }

  /**
   * A 64-bit mix (the finaliser of MurmurHash3), so that the dropout seeds of nearby seeds, epochs and windows are
   * unrelated: SplittableRandom seeded with values a multiple of its own step apart would repeat each other.
   */
  private static long mix(long z) {
    z = (z ^ (z >>> 33)) * 0xFF51AFD7ED558CCDL;
    z = (z ^ (z >>> 33)) * 0xC4CEB9FE1A85EC53L;
    return z ^ (z >>> 33);
  }

  /**
   * The mean loss, in nats per character, of the network over a text's windows, from a zero state, without dropout.
   * It sets the network's carried state to zero before and after, so call it between epochs, not within one.
   *
   * @param windows the text
   * @return the loss
   */
  public double evaluate(StreamWindows windows) {
    int t = windows.steps();
    int b = windows.streams();
    int[] inputs = new int[t * b];
    int[] targets = new int[t * b];
    Targets target = Targets.ofClasses(targets);
    network.resetState();
    double sum = 0;
    for (int k = 0; k < windows.windows(); k++) {
      windows.window(k, inputs, targets);
      sum += network.forward(inputs, t, b, target, null);
    }
    network.resetState();
    return sum / windows.windows();
  }

  /** @return the validation windows */
  public StreamWindows validationWindows() {
    return validation;
  }

  /** @return the model for the runtime, with the run's settings and validation figure as metadata */
  public RillModel model() {
    Map<String, String> meta = new LinkedHashMap<>();
    meta.put("producer", "rill train charlm");
    meta.put("train.settings", fingerprint());
    meta.put("train.epochs", Integer.toString(epochsDone));
    if (best < Double.POSITIVE_INFINITY) {
      meta.put("validation.bitsPerChar", String.format("%.4f", best / LN2));
    }
    return network.export(corpus.vocabulary(), meta);
  }

  private RillModel checkpointModel() {
    RillModel.Builder model = model().toBuilder();
    for (Param p : network.params()) {
      model.addTensors(Tensors.fp32(PARAM + p.name(), p.value().toFloats(), p.value().rows(), p.value().cols()));
    }
    for (Map.Entry<String, Matrix> e : optimizer.state().entrySet()) {
      model.addTensors(Tensors.fp32(STATE + e.getKey(), e.getValue().toFloats(), e.getValue().rows(), e.getValue().cols()));
    }
    StringBuilder curve = new StringBuilder();
    for (double[] point : history) {
      curve.append(curve.isEmpty() ? "" : ";").append(point[0]).append(',').append(point[1]);
    }
    return model.putMetadata("train.fingerprint", fingerprint())
        .putMetadata("train.updates", Long.toString(optimizer.updates()))
        .putMetadata("train.best", Double.toString(best))
        .putMetadata("train.sinceBest", Integer.toString(sinceBest))
        .putMetadata("train.history", curve.toString())
        .build();
  }

  /**
   * What must be equal for a checkpoint to continue this run: the settings but the time and epoch limits and the
   * thread count (which changes no result), and the text.
   */
  private String fingerprint() {
    TrainingOptions o = options;
    return "cell=" + o.cell() + " hidden=" + o.hidden() + " layers=" + o.layers() + " embed=" + o.embedding() + " rnn=" + o.rnnActivation()
        + " peepholes=" + o.peepholes() + " dropout=" + o.dropout() + " seqLen=" + o.seqLen() + " batch=" + o.batch()
        + " optimizer=" + o.optimizer() + " lr=" + o.learningRate() + " clip=" + o.clipNorm() + " clipValue=" + o.clipValue()
        + " seed=" + o.seed() + " validation=" + o.validationFraction() + " text=" + corpus.length()
        + " chars/" + java.util.Arrays.hashCode(corpus.ids());
  }

  /**
   * The outcome of a run.
   *
   * @param epochs epochs completed (the last one may have been cut short by the time limit)
   * @param bestValidationBitsPerChar the best validation loss, the model file's
   * @param history training and validation bits per character of each epoch
   * @param seconds the time spent in {@link #train}
   * @param stoppedBy "epochs", "minutes" or "patience"
   */
  public record TrainingResult(int epochs, double bestValidationBitsPerChar, List<double[]> history, double seconds, String stoppedBy) {}

  /** The loss stopped being finite: the learning rate is too high, or the gradients exploded. */
  public static final class TrainingDivergedException extends RuntimeException {
    private static final long serialVersionUID = 1L;

    /**
     * @param message what happened and what was kept
     */
    public TrainingDivergedException(String message) {
      super(message);
    }
  }
}
