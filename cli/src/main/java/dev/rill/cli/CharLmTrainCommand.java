package dev.rill.cli;

import dev.rill.format.ModelReader;
import dev.rill.trainer.LanguageModelTrainer;
import dev.rill.trainer.LanguageModelTrainer.TrainingResult;
import dev.rill.trainer.TrainingOptions;
import dev.rill.trainer.data.CharCorpus;
import dev.rill.trainer.nn.CellKind;
import dev.rill.trainer.optim.Optimizer;
import dev.rill.trainer.tensor.Activation;
import java.io.PrintWriter;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.IDefaultValueProvider;
import picocli.CommandLine.Model.ArgSpec;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Model.OptionSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParameterException;
import picocli.CommandLine.Spec;

/**
 * {@code rill train charlm}: trains a character language model on a text file with the trainer's
 * {@link LanguageModelTrainer}, showing progress, and writes the best model, a checkpoint and a PNG of the
 * learning curves. Every default comes from {@link TrainingOptions#defaults()}.
 */
@Command(name = "charlm", mixinStandardHelpOptions = true, defaultValueProvider = CharLmTrainCommand.Defaults.class,
    description = {"Trains a character language model (embedding or one-hot input, recurrent layers, softmax over the characters) "
        + "on a UTF-8 text file; the last 5%% of the text is held out for validation.", "",
        "Writes OUT (the model with the best validation loss so far, after each epoch that improves it), OUT.checkpoint (after "
            + "every epoch, for --resume) and OUT.png (the training and validation curves, after every epoch).", "",
        "Examples:",
        "  rill train charlm --text moby.txt -o moby.rill",
        "  rill train charlm --text moby.txt -o gru.rill --cell gru --embed 0 --minutes 30",
        "  rill train charlm --text moby.txt -o moby.rill --resume moby.rill.checkpoint"})
final class CharLmTrainCommand implements Callable<Integer> {

  @Spec
  CommandSpec spec;

  @Option(names = "--text", required = true, paramLabel = "FILE", description = "The training text (UTF-8).")
  Path textFile;

  @Option(names = {"-o", "--output"}, required = true, paramLabel = "OUT.rill", description = "The model to write.")
  Path output;

  @Option(names = "--cell", paramLabel = "CELL",
      description = "lstm, gru, gru-lbr (reset gate after the recurrent product, PyTorch's), minimal-gru, rnn (tanh) or rnn-relu. "
          + "Default: ${DEFAULT-VALUE}.")
  String cell;

  @Option(names = "--hidden", paramLabel = "N", description = "Units of each recurrent layer. Default: ${DEFAULT-VALUE}.")
  int hidden;

  @Option(names = "--layers", paramLabel = "N", description = "Stacked recurrent layers. Default: ${DEFAULT-VALUE}.")
  int layers;

  @Option(names = "--embed", paramLabel = "N", description = "Embedding width; 0 for one-hot inputs. Default: ${DEFAULT-VALUE}.")
  int embedding;

  @Option(names = "--seq-len", paramLabel = "N",
      description = "Steps per window, how far back the gradients flow (the state itself carries on). Default: ${DEFAULT-VALUE}.")
  int seqLen;

  @Option(names = "--batch", paramLabel = "N", description = "Independent streams through the text per window. Default: ${DEFAULT-VALUE}.")
  int batch;

  @Option(names = "--epochs", paramLabel = "N", description = "Passes over the text (not with --minutes). Default: ${DEFAULT-VALUE}.")
  int epochs;

  @Option(names = "--minutes", paramLabel = "N",
      description = "Train for this long instead of a number of epochs; stops after the window that passes it (not with --epochs).")
  double minutes;

  @Option(names = "--patience", paramLabel = "N",
      description = "Stop after N epochs without a better validation loss; 0 never stops early. Default: ${DEFAULT-VALUE}.")
  int patience;

  @Option(names = "--optimizer", paramLabel = "NAME", description = "adam, adagrad or sgd (with momentum 0.9). Default: ${DEFAULT-VALUE}.")
  Optimizer.Kind optimizer;

  @Option(names = "--lr", paramLabel = "X", description = "Learning rate. Default: ${DEFAULT-VALUE}.")
  double learningRate;

  @Option(names = "--clip", paramLabel = "X", description = "Largest global L2 norm of the gradients; 0 for none. Default: ${DEFAULT-VALUE}.")
  double clipNorm;

  @Option(names = "--clip-value", paramLabel = "X", description = "Largest absolute gradient element; 0 for none. Default: ${DEFAULT-VALUE}.")
  double clipValue;

  @Option(names = "--dropout", paramLabel = "P", description = "Dropout on each recurrent layer's outputs while training (before the next layer and the head), in [0, 1). Default: ${DEFAULT-VALUE}.")
  double dropout;

  @Option(names = "--peepholes", description = "LSTM only: peephole connections.")
  boolean peepholes;

  @Option(names = "--seed", paramLabel = "N", description = "Seed of the initial weights and dropout masks. Default: ${DEFAULT-VALUE}.")
  long seed;

  @Option(names = "--threads", paramLabel = "N", description = "Threads for the matrix products (results do not depend on it). Default: ${DEFAULT-VALUE}.")
  int threads;

  @Option(names = "--resume", paramLabel = "CKPT",
      description = "Continue from a checkpoint (OUT.checkpoint) of a run with the same text and settings; --epochs counts from the start of that run.")
  Path resume;

  @Override
  public Integer call() throws Exception {
    TrainingOptions options = options();
    checkOutputDirectory();
    if (!Files.exists(textFile)) {
      throw new NoSuchFileException(textFile.toString());
    }
    CharCorpus corpus = CharCorpus.read(textFile);
    PrintWriter out = spec.commandLine().getOut();
    List<double[]> earlier = resume != null ? historyOf(resume) : List.of();
    String title = textFile.getFileName() + ": " + cellName(options) + " " + options.hidden() + (options.layers() > 1 ? " x " + options.layers() : "");
    try (TrainingProgress progress = new TrainingProgress(out, terminal(), minutesOnly() ? 0 : options.epochs(), output, title,
        (long) options.seqLen() * options.batch(), earlier)) {
      LanguageModelTrainer trainer;
      try {
        trainer = new LanguageModelTrainer(corpus, options, output, progress);
      } catch (IllegalArgumentException e) {
        // The text is too short for --batch and --seq-len: a bad value of the command line.
        throw new ParameterException(spec.commandLine(), e.getMessage());
      }
      try {
        out.printf("training %s on %s: %,d characters, %d distinct; %s%n", cellName(options) + " " + options.hidden()
            + (options.layers() > 1 ? " x " + options.layers() : ""), textFile, corpus.length(), corpus.vocabulary().size(),
            describe(options));
        out.flush();
        if (resume != null) {
          trainer.resume(resume);
        }
        TrainingResult result = trainer.train();
        long chars = progress.charactersTrained();
        if (chars == 0) {
          // A checkpoint that already has every epoch asked for: say so rather than claim files were written.
          out.printf("nothing to train: %s has %d epoch%s already and --epochs is %d; raise --epochs to continue%n", resume, result.epochs(),
              result.epochs() == 1 ? "" : "s", options.epochs());
          out.flush();
          return 0;
        }
        progress.finish(result.history());
        // An epoch cut short by --minutes gets no checkpoint: resuming from half an epoch would not be exact.
        Path checkpoint = LanguageModelTrainer.checkpointOf(output);
        String files = "minutes".equals(result.stoppedBy())
            ? output + ", " + progress.png() + (Files.exists(checkpoint) ? " (" + checkpoint + " is from the last whole epoch)" : " (no checkpoint: no epoch was whole)")
            : output + ", " + checkpoint + ", " + progress.png();
        out.printf("done: %d epoch%s (stopped by %s), best validation %.4f bits/char, %s, %,.0f chars/s overall; wrote %s%n",
            result.epochs(), result.epochs() == 1 ? "" : "s", result.stoppedBy(), result.bestValidationBitsPerChar(), duration(result.seconds()),
            result.seconds() > 0 ? chars / result.seconds() : 0.0, files);
        out.flush();
      } finally {
        trainer.close();
      }
    }
    return 0;
  }

  /** The settings, checked; a bad value is a usage error naming its flag. */
  private TrainingOptions options() {
    var parsed = spec.commandLine().getParseResult();
    if (parsed.hasMatchedOption("--epochs") && parsed.hasMatchedOption("--minutes")) {
      throw new ParameterException(spec.commandLine(), "--epochs and --minutes are mutually exclusive: give one");
    }
    CellKind kind = switch (cell.toLowerCase(Locale.ROOT)) {
      case "lstm" -> CellKind.LSTM;
      case "gru" -> CellKind.GRU;
      case "gru-lbr" -> CellKind.GRU_LINEAR_BEFORE_RESET;
      case "minimal-gru" -> CellKind.MINIMAL_GRU;
      case "rnn", "rnn-relu" -> CellKind.RNN;
      default -> throw new ParameterException(spec.commandLine(),
          "Invalid value for option '--cell': '" + cell + "' (expected lstm, gru, gru-lbr, minimal-gru, rnn or rnn-relu)");
    };
    if (peepholes && kind != CellKind.LSTM) {
      throw new ParameterException(spec.commandLine(), "--peepholes applies to --cell lstm only");
    }
    Activation activation = cell.equalsIgnoreCase("rnn-relu") ? Activation.RELU : Activation.TANH;
    if (minutesOnly() && !(minutes > 0)) {
      throw new ParameterException(spec.commandLine(), "--minutes must be positive, got " + minutes);
    }
    // With --minutes the epochs do not limit the run.
    int epochLimit = minutesOnly() ? Integer.MAX_VALUE : epochs;
    try {
      return new TrainingOptions(kind, hidden, layers, embedding, activation, peepholes, dropout, seqLen, batch, epochLimit, minutes, patience,
          optimizer, learningRate, clipNorm, clipValue, seed, threads, TrainingOptions.defaults().validationFraction());
    } catch (IllegalArgumentException e) {
      throw new ParameterException(spec.commandLine(), e.getMessage());
    }
  }

  private boolean minutesOnly() {
    return spec.commandLine().getParseResult().hasMatchedOption("--minutes");
  }

  private void checkOutputDirectory() throws NoSuchFileException {
    Path dir = output.toAbsolutePath().getParent();
    if (dir == null || !Files.isDirectory(dir)) {
      throw new NoSuchFileException(String.valueOf(dir), null, "the directory of " + output + " does not exist");
    }
    if (Files.isDirectory(output)) {
      throw new IllegalArgumentException(output + " is a directory; -o takes the model file to write");
    }
  }

  /** The curves of the epochs a checkpoint has already trained, for the chart; empty if it has none. */
  private static List<double[]> historyOf(Path checkpoint) {
    List<double[]> history = new ArrayList<>();
    try {
      String curve = new ModelReader().read(checkpoint).getMetadataMap().getOrDefault("train.history", "");
      for (String point : curve.isEmpty() ? new String[0] : curve.split(";")) {
        String[] v = point.split(",");
        history.add(new double[] {Double.parseDouble(v[0]), Double.parseDouble(v[1])});
      }
    } catch (Exception e) {
      // The trainer's resume reports an unreadable checkpoint properly; the chart then starts at the resumed epoch.
      history.clear();
    }
    return history;
  }

  /** The terminal for the progress bar, or null when standard output is a file or a pipe. */
  private static java.io.PrintStream terminal() {
    java.io.Console console = System.console();
    return console != null && console.isTerminal() ? System.out : null;
  }

  private static String cellName(TrainingOptions o) {
    return switch (o.cell()) {
      case LSTM -> o.peepholes() ? "lstm (peepholes)" : "lstm";
      case GRU -> "gru";
      case GRU_LINEAR_BEFORE_RESET -> "gru-lbr";
      case MINIMAL_GRU -> "minimal-gru";
      case RNN -> o.rnnActivation() == Activation.RELU ? "rnn-relu" : "rnn";
    };
  }

  private static String describe(TrainingOptions o) {
    return (o.embedding() > 0 ? "embed " + o.embedding() : "one-hot") + ", seq-len " + o.seqLen() + ", batch " + o.batch() + ", "
        + o.optimizer().name().toLowerCase(Locale.ROOT) + " lr " + o.learningRate() + (o.clipNorm() > 0 ? ", clip " + o.clipNorm() : "")
        + (o.clipValue() > 0 ? ", clip-value " + o.clipValue() : "") + (o.dropout() > 0 ? ", dropout " + o.dropout() : "") + ", seed " + o.seed();
  }

  private static String duration(double seconds) {
    if (seconds < 60) {
      return String.format("%.1f s", seconds);
    }
    long s = Math.round(seconds);
    return s >= 3600 ? String.format("%d h %02d min %02d s", s / 3600, s / 60 % 60, s % 60) : String.format("%d min %02d s", s / 60, s % 60);
  }

  /** Picocli's defaults for the options: {@link TrainingOptions#defaults()}, so the two never disagree. */
  static final class Defaults implements IDefaultValueProvider {
    @Override
    public String defaultValue(ArgSpec argSpec) {
      if (!(argSpec instanceof OptionSpec option)) {
        return null;
      }
      TrainingOptions d = TrainingOptions.defaults();
      return switch (option.longestName()) {
        case "--cell" -> cellName(d).split(" ")[0];
        case "--hidden" -> Integer.toString(d.hidden());
        case "--layers" -> Integer.toString(d.layers());
        case "--embed" -> Integer.toString(d.embedding());
        case "--seq-len" -> Integer.toString(d.seqLen());
        case "--batch" -> Integer.toString(d.batch());
        case "--epochs" -> Integer.toString(d.epochs());
        case "--minutes" -> Double.toString(d.minutes());
        case "--patience" -> Integer.toString(d.patience());
        case "--optimizer" -> d.optimizer().name().toLowerCase(Locale.ROOT);
        case "--lr" -> Double.toString(d.learningRate());
        case "--clip" -> Double.toString(d.clipNorm());
        case "--clip-value" -> Double.toString(d.clipValue());
        case "--dropout" -> Double.toString(d.dropout());
        case "--seed" -> Long.toString(d.seed());
        case "--threads" -> Integer.toString(d.threads());
        default -> null;
      };
    }
  }
}
