package dev.rill.runtime;

import dev.rill.runtime.internal.layer.RecurrentLayer;
import java.util.List;
import java.util.Objects;

/**
 * An immutable copy of the state of every recurrent layer of a {@link Model} for a batch of {@code N}
 * streams: {@code h} for every layer and also {@code c} for LSTM layers, each laid out [D, N, H] (direction,
 * stream, unit; forward direction first). Take one with {@link StreamingSession#snapshot()} or
 * {@link SequenceResult#finalState()}, or give an initial state with {@link #builder(Model, int)}.
 */
public final class State {

  private final int batch;
  private final int[] directions;
  private final int[] hiddenSizes;
  private final String[] layerNames;
  private final float[][] hidden;
  private final float[][] cell;

  /** Takes ownership of the arrays; {@code cell[r]} is null exactly for non-LSTM layers. */
  State(List<RecurrentLayer> layers, int batch, float[][] hidden, float[][] cell) {
    this.batch = batch;
    int count = layers.size();
    this.directions = new int[count];
    this.hiddenSizes = new int[count];
    this.layerNames = new String[count];
    for (int r = 0; r < count; r++) {
      directions[r] = layers.get(r).directions();
      hiddenSizes[r] = layers.get(r).hiddenSize();
      layerNames[r] = layers.get(r).name();
    }
    this.hidden = hidden;
    this.cell = cell;
  }

  /** A state of the same shape as {@code shape} with other values. */
  private State(State shape, float[][] hidden, float[][] cell) {
    this.batch = shape.batch;
    this.directions = shape.directions;
    this.hiddenSizes = shape.hiddenSizes;
    this.layerNames = shape.layerNames;
    this.hidden = hidden;
    this.cell = cell;
  }

  /**
   * A state of {@code batch} streams from its values, without a {@link Model}: for code that keeps states
   * outside the runtime and reads them back, such as a serializer of a stream processor's keyed state. Sessions
   * and batches check on {@code restore} that it fits their model's recurrent layers, as for any state.
   *
   * @param batch N, the number of streams, at least 1
   * @param directions D of each recurrent layer (1 or 2)
   * @param hiddenSizes H of each recurrent layer, at least 1
   * @param hidden {@code h} of each recurrent layer, laid out [D, N, H] (copied)
   * @param cell {@code c} of each LSTM layer, laid out [D, N, H] (copied), and null for every other layer
   * @return the state
   * @throws IllegalArgumentException if the arrays do not agree with each other or with the sizes
   */
  public static State of(int batch, int[] directions, int[] hiddenSizes, float[][] hidden, float[][] cell) {
    Objects.requireNonNull(directions, "directions");
    Objects.requireNonNull(hiddenSizes, "hiddenSizes");
    Objects.requireNonNull(hidden, "hidden");
    Objects.requireNonNull(cell, "cell");
    if (batch < 1) {
      throw new IllegalArgumentException("batch must be at least 1, got " + batch);
    }
    int count = directions.length;
    if (hiddenSizes.length != count || hidden.length != count || cell.length != count) {
      throw new IllegalArgumentException("directions, hiddenSizes, hidden and cell must have one entry per "
          + "recurrent layer; got " + count + ", " + hiddenSizes.length + ", " + hidden.length + " and "
          + cell.length);
    }
    float[][] h = new float[count][];
    float[][] c = new float[count][];
    String[] names = new String[count];
    for (int r = 0; r < count; r++) {
      if ((directions[r] != 1 && directions[r] != 2) || hiddenSizes[r] < 1) {
        throw new IllegalArgumentException("recurrent layer " + r + " needs 1 or 2 directions and a hidden size "
            + "of at least 1; got " + directions[r] + " and " + hiddenSizes[r]);
      }
      long floats = (long) directions[r] * batch * hiddenSizes[r];
      Objects.requireNonNull(hidden[r], "hidden[" + r + "]");
      if (hidden[r].length != floats || (cell[r] != null && cell[r].length != floats)) {
        throw new IllegalArgumentException("recurrent layer " + r + " needs " + floats + " floats ([D="
            + directions[r] + ", N=" + batch + ", H=" + hiddenSizes[r] + "]) of h" + (cell[r] != null ? " and of c" : "")
            + "; got " + hidden[r].length + (cell[r] != null ? " and " + cell[r].length : ""));
      }
      h[r] = hidden[r].clone();
      c[r] = cell[r] == null ? null : cell[r].clone();
      names[r] = "recurrent layer " + r;
    }
    return new State(batch, directions.clone(), hiddenSizes.clone(), names, h, c);
  }

  private State(int batch, int[] directions, int[] hiddenSizes, String[] layerNames, float[][] hidden,
      float[][] cell) {
    this.batch = batch;
    this.directions = directions;
    this.hiddenSizes = hiddenSizes;
    this.layerNames = layerNames;
    this.hidden = hidden;
    this.cell = cell;
  }

  /** All zeros, the state a session starts from. */
  static State zeros(List<RecurrentLayer> layers, int batch) {
    float[][] hidden = new float[layers.size()][];
    float[][] cell = new float[layers.size()][];
    for (int r = 0; r < layers.size(); r++) {
      int floats = layers.get(r).directions() * batch * layers.get(r).hiddenSize();
      hidden[r] = new float[floats];
      cell[r] = layers.get(r).kind().hasCellState() ? new float[floats] : null;
    }
    return new State(layers, batch, hidden, cell);
  }

  /** Starts a state for {@code model} and {@code batch} streams; layers not given stay zero. */
  public static Builder builder(Model model, int batch) {
    if (batch < 1) {
      throw new IllegalArgumentException("batch must be at least 1, got " + batch);
    }
    return new Builder(zeros(model.plan().recurrentLayers(), batch));
  }

  /** The number of recurrent layers (LSTM, GRU, minimal GRU and RNN layers, in model order). */
  public int recurrentLayerCount() {
    return hidden.length;
  }

  /** N, the number of streams. */
  public int batchSize() {
    return batch;
  }

  /** D of recurrent layer {@code layer}: 2 if it is bidirectional, else 1. */
  public int directions(int layer) {
    return directions[checkLayer(layer)];
  }

  /** H of recurrent layer {@code layer}. */
  public int hiddenSize(int layer) {
    return hiddenSizes[checkLayer(layer)];
  }

  /** A copy of {@code h} of recurrent layer {@code layer}, laid out [D, N, H]. */
  public float[] hidden(int layer) {
    return hidden[checkLayer(layer)].clone();
  }

  /** A copy of {@code c} of recurrent layer {@code layer}, laid out [D, N, H]; null unless it is an LSTM. */
  public float[] cell(int layer) {
    float[] c = cell[checkLayer(layer)];
    return c == null ? null : c.clone();
  }

  /** The internal arrays, not copied: only for the runtime, which never modifies them. */
  float[][] hiddenArrays() {
    return hidden;
  }

  float[][] cellArrays() {
    return cell;
  }

  /**
   * Throws IllegalArgumentException unless this state has the layers of {@code layers} and {@code batch}
   * streams.
   */
  void checkFits(List<RecurrentLayer> layers, int expectedBatch) {
    if (layers.size() != hidden.length) {
      throw new IllegalArgumentException("the state has " + hidden.length + " recurrent layers but the model has "
          + layers.size());
    }
    if (batch != expectedBatch) {
      throw new IllegalArgumentException("the state holds " + batch + " streams but " + expectedBatch
          + " are needed");
    }
    for (int r = 0; r < layers.size(); r++) {
      RecurrentLayer layer = layers.get(r);
      boolean lstm = layer.kind().hasCellState();
      if (layer.directions() != directions[r] || layer.hiddenSize() != hiddenSizes[r]
          || lstm != (cell[r] != null)) {
        throw new IllegalArgumentException("the state does not fit recurrent layer " + r + " ('" + layer.name()
            + "'): the layer has " + layer.directions() + " direction(s), hidden size " + layer.hiddenSize()
            + (lstm ? " and a cell state" : " and no cell state") + "; the state has " + directions[r]
            + " direction(s), hidden size " + hiddenSizes[r]
            + (cell[r] != null ? " and a cell state" : " and no cell state"));
      }
    }
  }

  private int checkLayer(int layer) {
    Objects.checkIndex(layer, hidden.length);
    return layer;
  }

  /** Builds an initial {@link State}: set the layers you need, the others stay zero. Not thread-safe. */
  public static final class Builder {
    private final State state;

    private Builder(State zeros) {
      this.state = zeros;
    }

    /** Sets {@code h} of recurrent layer {@code layer} from [D, N, H] values (copied). */
    public Builder hidden(int layer, float[] values) {
      copyInto(state.hidden[state.checkLayer(layer)], values, layer, "hidden");
      return this;
    }

    /** Sets {@code c} of LSTM layer {@code layer} from [D, N, H] values (copied). */
    public Builder cell(int layer, float[] values) {
      float[] target = state.cell[state.checkLayer(layer)];
      if (target == null) {
        throw new IllegalArgumentException("recurrent layer " + layer + " ('" + state.layerNames[layer]
            + "') is not an LSTM and has no cell state");
      }
      copyInto(target, values, layer, "cell");
      return this;
    }

    private void copyInto(float[] target, float[] values, int layer, String what) {
      Objects.requireNonNull(values, what);
      if (values.length != target.length) {
        throw new IllegalArgumentException(what + " state of recurrent layer " + layer + " ('"
            + state.layerNames[layer] + "') needs " + target.length + " floats ([D=" + state.directions[layer]
            + ", N=" + state.batch + ", H=" + state.hiddenSizes[layer] + "]), got " + values.length);
      }
      System.arraycopy(values, 0, target, 0, target.length);
    }

    /** The state, a copy: later calls on this builder do not change it. */
    public State build() {
      float[][] hidden = new float[state.hidden.length][];
      float[][] cell = new float[state.cell.length][];
      for (int r = 0; r < hidden.length; r++) {
        hidden[r] = state.hidden[r].clone();
        cell[r] = state.cell[r] == null ? null : state.cell[r].clone();
      }
      return new State(state, hidden, cell);
    }
  }
}
