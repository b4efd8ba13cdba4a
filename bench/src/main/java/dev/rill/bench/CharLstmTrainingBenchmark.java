package dev.rill.bench;

import dev.rill.trainer.data.CharCorpus;
import dev.rill.trainer.data.StreamWindows;
import dev.rill.trainer.nn.CellKind;
import dev.rill.trainer.nn.Network;
import dev.rill.trainer.nn.NetworkSpec;
import dev.rill.trainer.nn.Targets;
import dev.rill.trainer.optim.GradientClipping;
import dev.rill.trainer.optim.Optimizer;
import dev.rill.trainer.tensor.Ops;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.SplittableRandom;
import java.util.concurrent.TimeUnit;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OperationsPerInvocation;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;
import org.openjdk.jmh.annotations.Warmup;

/**
 * One training step of a character LSTM, Rill's trainer against PyTorch (libtorch 2.7.1 through DJL), on the same
 * configuration and the same windows of text: embedding 83 → 64, one LSTM layer of 256, dense 256 → 83, softmax
 * cross-entropy at every step, 32 streams × 64 steps per window, Adam at 2e-3, global-norm clipping at 5, the state
 * carried across windows (truncated BPTT). Each engine initialises its weights its own way.
 *
 * <p>Scores are throughputs: {@link #rillStep} and {@link #pytorchStep} in characters per second (one op is one
 * of the {@link #CHARS_PER_STEP} predictions of a step), {@link #fmaPeak} in vector FMAs per second on one thread,
 * that is {@code 2 × FloatVector.SPECIES_PREFERRED.length()} flops each. An engine's share of peak at N threads is
 * {@code chars/s × FLOPS_PER_CHAR / (N × fmaPeak × 2 × lanes)}.
 *
 * <p>Threads: Rill's through {@code Ops.floats(threads)}; libtorch's through the properties
 * {@code ai.djl.pytorch.num_threads} (intra-op, which also sets OpenMP's count) and
 * {@code ai.djl.pytorch.num_interop_threads} = 1, set in the fork before the engine loads, and checked after.
 *
 * <p>Text: {@code shared/corpus/moby_dick.txt} from the nearest ancestor of the working directory that has it, or
 * the file named by {@code -Drill.corpus=...}; without it, a generated text of the same vocabulary size, said so
 * on the console.
 */
@BenchmarkMode(Mode.Throughput)
@OutputTimeUnit(TimeUnit.SECONDS)
@Warmup(iterations = 5, time = 5)
@Measurement(iterations = 5, time = 5)
@Fork(value = 1, jvmArgsAppend = {"--add-modules", "jdk.incubator.vector", "--enable-native-access=ALL-UNNAMED",
    "-Dai.djl.offline=true"})
public class CharLstmTrainingBenchmark {

  /** Distinct characters of the corpus, the input and output classes. */
  public static final int VOCABULARY = 83;
  /** Embedding width. */
  public static final int EMBEDDING = 64;
  /** LSTM units. */
  public static final int HIDDEN = 256;
  /** B, streams per window. */
  public static final int STREAMS = 32;
  /** T, steps per window. */
  public static final int STEPS = 64;
  /** Predictions of one training step. */
  public static final int CHARS_PER_STEP = STREAMS * STEPS;
  /** Adam's learning rate. */
  public static final float LEARNING_RATE = 2e-3f;
  /** Global-norm clipping bound. */
  public static final double MAX_NORM = 5;
  /** Flops of one character: 6 × the weights of the products (forward 2, backward 4). */
  public static final long FLOPS_PER_CHAR = 6L * (4L * HIDDEN * (EMBEDDING + HIDDEN) + (long) HIDDEN * VOCABULARY);
  /** Vector FMAs of one {@link #fmaPeak} op. */
  static final int PEAK_FMAS = TrainerGemmBenchmark.PEAK_ITERATIONS * TrainerGemmBenchmark.PEAK_CHAINS;

  /**
   * The windows both engines train on, in order.
   *
   * @return the windows of the corpus, or of a generated text of the same vocabulary size if it is absent
   */
  public static StreamWindows windows() {
    Path corpus = findCorpus();
    int[] ids;
    if (corpus != null) {
      try {
        ids = CharCorpus.read(corpus).ids();
      } catch (IOException e) {
        throw new UncheckedIOException(e);
      }
    } else {
      System.out.println("CharLstmTrainingBenchmark: shared/corpus/moby_dick.txt not found above "
          + Path.of("").toAbsolutePath() + " (or -Drill.corpus): training on a generated text of " + VOCABULARY
          + " characters instead");
      ids = generatedText(1 << 20);
    }
    return new StreamWindows(ids, STREAMS, STEPS);
  }

  private static Path findCorpus() {
    String named = System.getProperty("rill.corpus");
    if (named != null) {
      return Path.of(named);
    }
    for (Path dir = Path.of("").toAbsolutePath(); dir != null; dir = dir.getParent()) {
      Path candidate = dir.resolve("shared/corpus/moby_dick.txt");
      if (Files.isRegularFile(candidate)) {
        return candidate;
      }
    }
    return null;
  }

  /** Words of a seeded lexicon over all {@link #VOCABULARY} ids, so that there is something to learn. */
  static int[] generatedText(int length) {
    SplittableRandom random = new SplittableRandom(83);
    int[][] words = new int[400][];
    for (int w = 0; w < words.length; w++) {
      words[w] = new int[2 + random.nextInt(8)];
      for (int i = 0; i < words[w].length; i++) {
        words[w][i] = 1 + random.nextInt(VOCABULARY - 1);
      }
    }
    int[] text = new int[length];
    int at = 0;
    for (int i = 0; i < VOCABULARY && at < length; i++) {
      text[at++] = i; // every id once, so the vocabulary is complete
    }
    while (at < length) {
      for (int id : words[random.nextInt(words.length)]) {
        if (at < length) {
          text[at++] = id;
        }
      }
      if (at < length) {
        text[at++] = 0; // the space
      }
    }
    return text;
  }

  /** The windows in order, wrapping round to the first with a fresh state. */
  abstract static class Windows {
    final int[] inputs = new int[CHARS_PER_STEP];
    final int[] targets = new int[CHARS_PER_STEP];
    StreamWindows windows;
    int next;

    void load() {
      windows = windows();
    }

    /** Fills inputs and targets with the next window; true if it is the first one again. */
    boolean advance() {
      boolean first = next == 0;
      windows.window(next, inputs, targets);
      next = (next + 1) % windows.windows();
      return first;
    }
  }

  /** Rill's network and optimizer. */
  @State(Scope.Thread)
  public static class RillTraining extends Windows {
    /** Threads of the matrix products. */
    @Param({"1", "2"})
    public int threads;

    Ops ops;
    Network network;
    Optimizer optimizer;

    /** Builds the network with Rill's default initialisation. */
    @Setup(Level.Trial)
    public void setUp() {
      load();
      ops = Ops.floats(threads);
      network = new Network(NetworkSpec.languageModel(VOCABULARY, EMBEDDING, CellKind.LSTM, HIDDEN, 1, 0), ops, 1);
      optimizer = Optimizer.of(Optimizer.Kind.ADAM, network.params(), LEARNING_RATE);
    }

    /** Stops the threads of the products. */
    @TearDown(Level.Trial)
    public void tearDown() {
      ops.close();
    }

    /**
     * One training step on the next window.
     *
     * @return the window's loss
     */
    public double step() {
      if (advance()) {
        network.resetState();
      }
      network.zeroGradients();
      double loss = network.forward(inputs, STEPS, STREAMS, Targets.ofClasses(targets), null);
      network.backward();
      GradientClipping.clipGlobalNorm(network.params(), MAX_NORM);
      optimizer.step();
      return loss;
    }
  }

  /** PyTorch's network and optimizer. */
  @State(Scope.Thread)
  public static class PyTorchTraining extends Windows {
    /** libtorch's intra-op threads. */
    @Param({"1", "2"})
    public int threads;

    PyTorchCharLstm network;

    /** Sets libtorch's threads (before the engine loads) and builds the network with PyTorch's initialisation. */
    @Setup(Level.Trial)
    public void setUp() {
      load();
      System.setProperty("ai.djl.pytorch.num_threads", Integer.toString(threads));
      System.setProperty("ai.djl.pytorch.num_interop_threads", "1");
      network = new PyTorchCharLstm(VOCABULARY, EMBEDDING, HIDDEN, STREAMS, LEARNING_RATE, MAX_NORM, 1);
      int actual = PyTorchCharLstm.intraOpThreads();
      if (actual != threads) {
        throw new IllegalStateException("libtorch runs " + actual + " intra-op threads, not " + threads
            + ": was the engine loaded before this setup?");
      }
    }

    /** Frees libtorch's arrays. */
    @TearDown(Level.Trial)
    public void tearDown() {
      network.close();
    }

    /**
     * One training step on the next window.
     *
     * @return the window's loss
     */
    public double step() {
      if (advance()) {
        network.resetState();
      }
      return network.step(inputs, targets, STEPS);
    }
  }

  /** The starting value of {@link #fmaPeak}'s chains. */
  @State(Scope.Thread)
  public static class Peak {
    float seed = 1.0001f;
  }

  /**
   * One training step of Rill's trainer.
   *
   * @param training the network
   * @return the loss, so that JMH keeps the work
   */
  @Benchmark
  @OperationsPerInvocation(CHARS_PER_STEP)
  public double rillStep(RillTraining training) {
    return training.step();
  }

  /**
   * One training step of PyTorch.
   *
   * @param training the network
   * @return the loss, so that JMH keeps the work
   */
  @Benchmark
  @OperationsPerInvocation(CHARS_PER_STEP)
  public double pytorchStep(PyTorchTraining training) {
    return training.step();
  }

  /**
   * This core's fp32 FMA peak on one thread, in vector FMAs per second: {@link TrainerGemmBenchmark#fmaChains}.
   *
   * @param peak the starting value
   * @return a lane of the sums, so that JMH keeps the work
   */
  @Benchmark
  @OperationsPerInvocation(PEAK_FMAS)
  public float fmaPeak(Peak peak) {
    return TrainerGemmBenchmark.fmaChains(peak.seed);
  }

  /**
   * Trains both engines side by side and prints their losses, the sanity check that both learn the same task:
   * {@code java --add-modules jdk.incubator.vector -cp bench/target/benchmarks.jar
   * dev.rill.bench.CharLstmTrainingBenchmark [steps] [threads]}.
   *
   * @param args steps (300) and threads (1)
   */
  public static void main(String[] args) {
    int steps = args.length > 0 ? Integer.parseInt(args[0]) : 300;
    int threads = args.length > 1 ? Integer.parseInt(args[1]) : 1;
    RillTraining rill = new RillTraining();
    rill.threads = threads;
    rill.setUp();
    PyTorchTraining pytorch = new PyTorchTraining();
    pytorch.threads = threads;
    pytorch.setUp();
    double rillSum = 0;
    double pytorchSum = 0;
    long rillNanos = 0;
    long pytorchNanos = 0;
    for (int i = 1; i <= steps; i++) {
      long start = System.nanoTime();
      rillSum += rill.step();
      long middle = System.nanoTime();
      pytorchSum += pytorch.step();
      pytorchNanos += System.nanoTime() - middle;
      rillNanos += middle - start;
      if (i % 25 == 0) {
        System.out.printf("steps %4d  mean loss  rill %.3f  pytorch %.3f   chars/s  rill %.0f  pytorch %.0f%n", i,
            rillSum / 25, pytorchSum / 25, 25.0 * CHARS_PER_STEP / (rillNanos * 1e-9),
            25.0 * CHARS_PER_STEP / (pytorchNanos * 1e-9));
        rillSum = 0;
        pytorchSum = 0;
        rillNanos = 0;
        pytorchNanos = 0;
      }
    }
    pytorch.tearDown();
    rill.tearDown();
  }
}
