package dev.rill.trainer.nn;

import dev.rill.trainer.tensor.Activation;

/**
 * The architecture of a trainable network: an input, stacked recurrent layers of one cell kind, and a dense head
 * trained with a loss.
 *
 * @param input how a step's input arrives
 * @param inputSize the vocabulary size for token inputs, the number of features for vector inputs
 * @param embedding the embedding width for {@link InputKind#EMBEDDING}, otherwise 0
 * @param cell the recurrent cell
 * @param hidden H of every recurrent layer
 * @param layers the number of stacked recurrent layers
 * @param bidirectional whether each recurrent layer runs both directions (for sequence tasks, not language models)
 * @param peepholes whether LSTM cells have peepholes
 * @param rnnActivation tanh or relu for simple RNN cells (ignored by other cells)
 * @param dropout the probability of dropping each output of a recurrent layer while training, in [0, 1)
 * @param outputs the head's output size
 * @param loss the training objective
 * @param lastStepOnly whether only the last step of a window has a target (many-to-one)
 */
public record NetworkSpec(InputKind input, int inputSize, int embedding, CellKind cell, int hidden, int layers,
    boolean bidirectional, boolean peepholes, Activation rnnActivation, double dropout, int outputs, Loss loss,
    boolean lastStepOnly) {

  /** How a step's input arrives. */
  public enum InputKind {
    /** A token id, looked up in a trained embedding. */
    EMBEDDING,
    /** A token id, as a one-hot vector (exported as an identity embedding). */
    ONE_HOT,
    /** A vector of floats. */
    VECTOR
  }

  /** Checks every field. */
  public NetworkSpec {
    positive("inputSize", inputSize);
    positive("hidden", hidden);
    positive("layers", layers);
    positive("outputs", outputs);
    if (input == InputKind.EMBEDDING) {
      positive("embedding", embedding);
    } else if (embedding != 0) {
      throw new IllegalArgumentException("embedding is only for EMBEDDING inputs");
    }
    if (!(dropout >= 0 && dropout < 1)) {
      throw new IllegalArgumentException("dropout must be in [0, 1), got " + dropout);
    }
    if (peepholes && cell != CellKind.LSTM) {
      throw new IllegalArgumentException("peepholes are an LSTM option");
    }
    if (cell == CellKind.RNN && rnnActivation != Activation.TANH && rnnActivation != Activation.RELU) {
      throw new IllegalArgumentException("a simple RNN takes tanh or relu");
    }
    if (loss == null || cell == null || input == null) {
      throw new IllegalArgumentException("input, cell and loss are required");
    }
  }

  /**
   * A character language model: embedding (or one-hot when {@code embedding} is 0), recurrent layers, and a
   * softmax over the vocabulary at every step.
   *
   * @param vocabulary the number of distinct characters
   * @param embedding the embedding width, or 0 for one-hot inputs
   * @param cell the cell
   * @param hidden H
   * @param layers stacked layers
   * @param dropout dropout on each recurrent layer's outputs while training
   * @return the spec
   */
  public static NetworkSpec languageModel(int vocabulary, int embedding, CellKind cell, int hidden, int layers, double dropout) {
    return new NetworkSpec(embedding > 0 ? InputKind.EMBEDDING : InputKind.ONE_HOT, vocabulary, embedding, cell, hidden,
        layers, false, false, Activation.TANH, dropout, vocabulary, Loss.SOFTMAX_CROSS_ENTROPY, false);
  }

  private static void positive(String name, int value) {
    if (value < 1) {
      throw new IllegalArgumentException(name + " must be at least 1, got " + value);
    }
  }

  /** @return the input width of the first recurrent layer */
  public int firstLayerInput() {
    return switch (input) {
      case EMBEDDING -> embedding;
      case ONE_HOT, VECTOR -> inputSize;
    };
  }

  /** @return whether steps take token ids */
  public boolean takesTokens() {
    return input != InputKind.VECTOR;
  }
}
