package dev.rill.trainer;

import dev.rill.trainer.nn.CellKind;
import dev.rill.trainer.optim.Optimizer;
import dev.rill.trainer.tensor.Activation;

/**
 * The settings of a character language model's training run.
 *
 * @param cell the recurrent cell
 * @param hidden H of each layer
 * @param layers stacked recurrent layers
 * @param embedding the embedding width, or 0 for one-hot inputs
 * @param rnnActivation tanh or relu, for {@link CellKind#RNN}
 * @param peepholes LSTM peepholes
 * @param dropout dropout on each recurrent layer's outputs (before the next layer and the head) while training, in [0, 1)
 * @param seqLen T, the steps of a window (the truncation of backpropagation through time)
 * @param batch B, the independent streams of a minibatch
 * @param epochs passes over the training text (at most)
 * @param minutes a time limit in minutes (0 for none); training stops after the window that passes it
 * @param patience stop after this many epochs without a better validation loss (0: never)
 * @param optimizer the update rule
 * @param learningRate its learning rate
 * @param clipNorm the largest global L2 norm of the gradients (0: no clipping)
 * @param clipValue the largest absolute gradient element (0: no clipping)
 * @param seed the seed of the initial weights and the dropout masks
 * @param threads threads for the matrix products (results do not depend on it)
 * @param validationFraction the part of the text, at its end, held out for validation
 */
public record TrainingOptions(CellKind cell, int hidden, int layers, int embedding, Activation rnnActivation, boolean peepholes,
    double dropout, int seqLen, int batch, int epochs, double minutes, int patience, Optimizer.Kind optimizer, double learningRate,
    double clipNorm, double clipValue, long seed, int threads, double validationFraction) {

  /** Checks every setting, with a message that names it. */
  public TrainingOptions {
    atLeast("--hidden", hidden, 1);
    atLeast("--layers", layers, 1);
    atLeast("--embed", embedding, 0);
    atLeast("--seq-len", seqLen, 1);
    atLeast("--batch", batch, 1);
    atLeast("--epochs", epochs, 1);
    atLeast("--patience", patience, 0);
    atLeast("--threads", threads, 1);
    if (!(minutes >= 0) || Double.isInfinite(minutes)) {
      throw new IllegalArgumentException("--minutes must be a finite number >= 0, got " + minutes);
    }
    if (!(learningRate > 0) || Double.isInfinite(learningRate)) {
      throw new IllegalArgumentException("--lr must be finite and positive, got " + learningRate);
    }
    if (!(clipNorm >= 0) || !(clipValue >= 0) || Double.isInfinite(clipNorm) || Double.isInfinite(clipValue)) {
      throw new IllegalArgumentException("--clip and --clip-value must be finite and >= 0");
    }
    if (!(dropout >= 0 && dropout < 1)) {
      throw new IllegalArgumentException("--dropout must be in [0, 1), got " + dropout);
    }
    if (!(validationFraction > 0 && validationFraction < 1)) {
      throw new IllegalArgumentException("the validation fraction must be in (0, 1), got " + validationFraction);
    }
  }

  private static void atLeast(String name, long value, long min) {
    if (value < min) {
      throw new IllegalArgumentException(name + " must be at least " + min + ", got " + value);
    }
  }

  /**
   * The demo model's settings: embedding 64, one LSTM of 256, 32 streams of 64 steps, Adam at 2e-3, global norm
   * clipping at 5, 5% held out.
   *
   * @return the defaults
   */
  public static TrainingOptions defaults() {
    return new TrainingOptions(CellKind.LSTM, 256, 1, 64, Activation.TANH, false, 0, 64, 32, 20, 0, 0, Optimizer.Kind.ADAM, 2e-3,
        5, 0, 1, 1, 0.05);
  }
}
