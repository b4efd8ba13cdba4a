package dev.rill.bench;

import ai.djl.engine.Engine;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.internal.NDArrayEx;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import ai.djl.ndarray.types.SparseFormat;
import ai.djl.pytorch.jni.JniUtils;
import ai.djl.training.GradientCollector;
import ai.djl.training.optimizer.Adam;
import ai.djl.training.optimizer.Optimizer;
import ai.djl.training.tracker.Tracker;
import java.util.List;

/**
 * The character LSTM of {@link CharLstmTrainingBenchmark} trained by PyTorch (libtorch through DJL): embedding,
 * one LSTM layer ({@code torch::lstm}, PyTorch's own fused CPU path), a dense layer to the vocabulary, softmax
 * cross-entropy averaged over every step, global-norm gradient clipping as {@code clip_grad_norm_}, and DJL's Adam
 * (libtorch's fused update). The state is carried across steps and detached between them (truncated BPTT).
 *
 * <p>Weights start as PyTorch's modules initialise theirs: embedding N(0, 1), LSTM and dense U(±1/√fan-in).
 * Thread counts are libtorch's: set {@code ai.djl.pytorch.num_threads} and {@code num_interop_threads} before the
 * first {@link #PyTorchCharLstm} of the JVM (the engine reads them once).
 */
public final class PyTorchCharLstm implements AutoCloseable {
  private final int hidden;
  private final int streams;
  private final double maxNorm;
  private final NDManager manager;
  private final NDManager stateManager;
  private final List<NDArray> params;
  private final List<String> paramNames;
  private final NDArray embedding;
  private final NDArray inputWeights;
  private final NDArray recurrentWeights;
  private final NDArray inputBias;
  private final NDArray recurrentBias;
  private final NDArray denseWeights;
  private final NDArray denseBias;
  private final Optimizer optimizer;
  private NDManager carried;
  private NDArray h;
  private NDArray c;

  /**
   * @param vocabulary classes in and out
   * @param embeddingSize embedding width
   * @param hidden LSTM units
   * @param streams B, the batch
   * @param learningRate Adam's learning rate
   * @param maxNorm global-norm clipping bound
   * @param seed libtorch's random seed, for the initial weights
   */
  public PyTorchCharLstm(int vocabulary, int embeddingSize, int hidden, int streams, float learningRate,
      double maxNorm, int seed) {
    this.hidden = hidden;
    this.streams = streams;
    this.maxNorm = maxNorm;
    Engine engine = Engine.getEngine("PyTorch");
    engine.setRandomSeed((int) seed);
    manager = engine.newBaseManager();
    stateManager = manager.newSubManager();
    // nn.LSTM: U(±1/√hidden) everywhere; nn.Linear: U(±1/√in_features), here in_features = hidden too.
    float lstmBound = (float) (1 / Math.sqrt(hidden));
    float denseBound = (float) (1 / Math.sqrt(hidden));
    embedding = manager.randomNormal(new Shape(vocabulary, embeddingSize));
    inputWeights = uniform(lstmBound, 4L * hidden, embeddingSize);
    recurrentWeights = uniform(lstmBound, 4L * hidden, hidden);
    inputBias = uniform(lstmBound, 4L * hidden);
    recurrentBias = uniform(lstmBound, 4L * hidden);
    denseWeights = uniform(denseBound, vocabulary, hidden);
    denseBias = uniform(denseBound, vocabulary);
    params = List.of(embedding, inputWeights, recurrentWeights, inputBias, recurrentBias, denseWeights, denseBias);
    paramNames = List.of("embedding", "w_ih", "w_hh", "b_ih", "b_hh", "dense_w", "dense_b");
    for (NDArray p : params) {
      p.setRequiresGradient(true);
    }
    optimizer = Optimizer.adam().optLearningRateTracker(Tracker.fixed(learningRate)).build();
    resetState();
  }

  private NDArray uniform(float bound, long... shape) {
    return manager.randomUniform(-bound, bound, new Shape(shape));
  }

  /** Zeroes the carried state. */
  public void resetState() {
    NDManager next = stateManager.newSubManager();
    h = next.zeros(new Shape(1, streams, hidden));
    c = next.zeros(new Shape(1, streams, hidden));
    if (carried != null) {
      carried.close();
    }
    carried = next;
  }

  /**
   * One training step on a window: forward, backward, clipping, Adam update.
   *
   * @param inputs T·B ids, time-major
   * @param targets T·B ids of the next characters
   * @param steps T
   * @return the mean cross-entropy of the window, before the update
   */
  public double step(int[] inputs, int[] targets, int steps) {
    try (NDManager step = manager.newSubManager()) {
      NDArray x = step.create(inputs, new Shape(steps, streams)).toType(DataType.INT64, false);
      NDArray y = step.create(targets, new Shape((long) steps * streams, 1)).toType(DataType.INT64, false);
      NDArray loss;
      NDList lstmOut;
      try (GradientCollector collector = Engine.getEngine("PyTorch").newGradientCollector()) {
        NDArrayEx ex = x.getNDArrayInternal();
        NDArray embedded = ex.embedding(x, embedding, SparseFormat.DENSE).singletonOrThrow();
        lstmOut = ex.lstm(embedded, new NDList(h, c),
            new NDList(inputWeights, recurrentWeights, inputBias, recurrentBias), true, 1, 0, true, false, false);
        NDArray outputs = lstmOut.get(0).reshape(-1, hidden);
        NDArray logits = ex.linear(outputs, denseWeights, denseBias).singletonOrThrow();
        loss = logits.logSoftmax(1).gather(y, 1).mean().neg();
        collector.backward(loss);
      }
      carry(lstmOut.get(1), lstmOut.get(2));
      NDArray[] gradients = new NDArray[params.size()];
      double squares = 0;
      for (int i = 0; i < gradients.length; i++) {
        gradients[i] = params.get(i).getGradient();
        // Each wrapper holds a reference to the gradient: closed with the step, so that the next backward
        // accumulates in place again.
        gradients[i].attach(step);
        squares += gradients[i].square().sum().getFloat();
      }
      // As torch.nn.utils.clip_grad_norm_.
      double scale = maxNorm / (Math.sqrt(squares) + 1e-6);
      for (int i = 0; i < gradients.length; i++) {
        if (scale < 1) {
          gradients[i].muli((float) scale);
        }
        optimizer.update(paramNames.get(i), params.get(i), gradients[i]);
        gradients[i].subi(gradients[i]);
      }
      return loss.getFloat();
    }
  }

  private void carry(NDArray nextH, NDArray nextC) {
    NDManager next = stateManager.newSubManager();
    h = nextH.stopGradient();
    c = nextC.stopGradient();
    h.attach(next);
    c.attach(next);
    carried.close();
    carried = next;
  }

  /** @return libtorch's intra-op threads in this JVM */
  public static int intraOpThreads() {
    return JniUtils.getNumThreads();
  }

  /** Frees the weights, the optimizer's moments and the state. */
  @Override
  public void close() {
    manager.close();
  }
}
