package dev.rill.flink;

import dev.rill.runtime.State;
import dev.rill.runtime.StreamBatch;
import java.io.Serial;
import java.util.HashMap;
import java.util.Map;
import java.util.concurrent.ScheduledFuture;
import org.apache.flink.api.common.state.ValueState;
import org.apache.flink.api.common.typeinfo.TypeInformation;
import org.apache.flink.runtime.state.StateSnapshotContext;
import org.apache.flink.streaming.api.operators.AbstractStreamOperator;
import org.apache.flink.streaming.api.operators.BoundedOneInput;
import org.apache.flink.streaming.api.operators.OneInputStreamOperator;
import org.apache.flink.streaming.api.watermark.Watermark;
import org.apache.flink.streaming.runtime.streamrecord.StreamRecord;
import org.apache.flink.util.OutputTag;

/**
 * Rill in throughput mode: a keyed operator that buffers events and steps the events of many keys together
 * through one {@link StreamBatch}, one matrix-matrix product per layer instead of one matrix-vector product per
 * event. See {@link RillConfig.Builder#throughputMode} for when the buffer is stepped and the latency bound.
 *
 * <p>A flush loads each buffered key's state from Flink keyed state into a slot of the batch, steps the buffer in
 * rounds (each round takes the next event of every key that still has one, so one key's events are stepped in
 * order), emits each output with its event's key and timestamp, and stores each key's new state. Every buffered
 * event is stepped and emitted in {@link #prepareSnapshotPreBarrier}, before the checkpoint barrier leaves, so a
 * checkpoint's keyed state and the outputs before its barrier always agree and no buffered event is lost on
 * failure. Outputs of one key keep the order of its events; across keys they follow the rounds.
 *
 * <p>Outputs are bitwise those of {@link RillFunction} (latency mode): the runtime sums each stream in the same
 * order whatever its batch. Built by {@link Rill#process}.
 *
 * @param <K> the key type
 * @param <E> the event type
 */
public final class RillBatchOperator<K, E> extends AbstractStreamOperator<RillOutput<K>>
    implements OneInputStreamOperator<E, RillOutput<K>>, BoundedOneInput {

  @Serial
  private static final long serialVersionUID = 1L;

  private final RillConfig<E> config;
  private final OutputTag<RejectedEvent<K, E>> rejectedTag;

  private transient LoadedModel loaded;
  private transient StreamBatch batch;
  private transient ValueState<State> state;

  // The buffer, allocated in open(): event i has key keys[i], features features[i] and a timestamp.
  private transient Object[] keys;
  private transient float[][] features;
  private transient long[] timestamps;
  private transient boolean[] hasTimestamp;
  private transient int count;
  /** Counts flushes, so that a timer set for an earlier buffer does not flush a later one early. */
  private transient long generation;
  private transient ScheduledFuture<?> timer;

  // Per flush: the distinct keys, each one's slot and next event, and the next event of the same key.
  private transient Map<Object, Integer> keyIndex;
  private transient Object[] distinctKeys;
  private transient int[] slots;
  private transient int[] cursor;
  private transient int[] last;
  private transient int[] nextOfKey;
  private transient int[] active;

  RillBatchOperator(RillConfig<E> config, TypeInformation<K> keyType, TypeInformation<E> eventType) {
    if (config.mode() != RillConfig.Mode.THROUGHPUT) {
      throw new IllegalArgumentException("RillBatchOperator needs a throughput-mode config, got " + config);
    }
    this.config = config;
    this.rejectedTag = RillTypes.rejectedTag(keyType, eventType);
  }

  /** The side output of the events that were not stepped. */
  public OutputTag<RejectedEvent<K, E>> rejectedTag() {
    return rejectedTag;
  }

  @Override
  public void open() throws Exception {
    super.open();
    loaded = LoadedModel.load(config);
    int capacity = config.maxBatchEvents();
    batch = loaded.model().newStreamBatch(capacity);
    state = getPartitionedState(loaded.stateDescriptor(config.stateName()));
    int inputSize = loaded.model().inputSize();
    keys = new Object[capacity];
    features = new float[capacity][inputSize];
    timestamps = new long[capacity];
    hasTimestamp = new boolean[capacity];
    keyIndex = new HashMap<>();
    distinctKeys = new Object[capacity];
    slots = new int[capacity];
    cursor = new int[capacity];
    last = new int[capacity];
    nextOfKey = new int[capacity];
    active = new int[capacity];
  }

  @Override
  public void processElement(StreamRecord<E> element) throws Exception {
    E event = element.getValue();
    float[] eventFeatures = config.features().features(event);
    String rejection = loaded.rejection(eventFeatures);
    if (rejection != null) {
      @SuppressWarnings("unchecked")
      K key = (K) getCurrentKey();
      long ts = element.hasTimestamp() ? element.getTimestamp() : Long.MIN_VALUE;
      RejectedEvent<K, E> rejected = new RejectedEvent<>(key, ts, event, rejection);
      output.collect(rejectedTag, element.hasTimestamp() ? new StreamRecord<>(rejected, ts)
          : new StreamRecord<>(rejected));
      return;
    }
    int i = count++;
    keys[i] = getCurrentKey();
    System.arraycopy(eventFeatures, 0, features[i], 0, eventFeatures.length);
    hasTimestamp[i] = element.hasTimestamp();
    timestamps[i] = element.hasTimestamp() ? element.getTimestamp() : Long.MIN_VALUE;
    if (count == keys.length) {
      flush();
    } else if (count == 1) {
      long due = getProcessingTimeService().getCurrentProcessingTime() + config.maxDelayMillis();
      long forGeneration = generation;
      timer = getProcessingTimeService().registerTimer(due, time -> {
        if (generation == forGeneration) {
          flush();
        }
      });
    }
  }

  @Override
  public void processWatermark(Watermark mark) throws Exception {
    // Outputs of events before the watermark go out before it, never late.
    flush();
    super.processWatermark(mark);
  }

  @Override
  public void prepareSnapshotPreBarrier(long checkpointId) throws Exception {
    flush();
  }

  @Override
  public void snapshotState(StateSnapshotContext context) throws Exception {
    if (count != 0) {
      throw new IllegalStateException(count + " events are still buffered at checkpoint " + context.getCheckpointId()
          + ": prepareSnapshotPreBarrier must step them before the snapshot");
    }
    super.snapshotState(context);
  }

  @Override
  public void endInput() throws Exception {
    flush();
  }

  @Override
  public void finish() throws Exception {
    flush();
    super.finish();
  }

  @Override
  public void close() throws Exception {
    try {
      if (batch != null) {
        batch.close();
      }
      if (loaded != null) {
        loaded.close();
      }
    } finally {
      super.close();
    }
  }

  /** Steps every buffered event, emits the outputs and stores each key's new state. */
  private void flush() throws Exception {
    if (count == 0) {
      return;
    }
    generation++;
    if (timer != null) {
      timer.cancel(false);
      timer = null;
    }
    int distinct = groupByKey();
    for (int k = 0; k < distinct; k++) {
      setCurrentKey(distinctKeys[k]);
      State previous = state.value();
      slots[k] = batch.open();
      if (previous != null) {
        batch.restore(slots[k], previous);
      }
      active[k] = k;
    }
    int activeCount = distinct;
    int outputSize = loaded.outputSize();
    while (activeCount > 0) {
      for (int a = 0; a < activeCount; a++) {
        int k = active[a];
        batch.setInput(slots[k], features[cursor[k]]);
      }
      batch.step();
      int stillActive = 0;
      for (int a = 0; a < activeCount; a++) {
        int k = active[a];
        int i = cursor[k];
        float[] y = new float[outputSize];
        batch.output(slots[k], y);
        @SuppressWarnings("unchecked")
        RillOutput<K> result = new RillOutput<>((K) keys[i], timestamps[i], y);
        output.collect(hasTimestamp[i] ? new StreamRecord<>(result, timestamps[i]) : new StreamRecord<>(result));
        if (nextOfKey[i] >= 0) {
          cursor[k] = nextOfKey[i];
          active[stillActive++] = k;
        } else {
          setCurrentKey(distinctKeys[k]);
          state.update(batch.snapshot(slots[k]));
          batch.close(slots[k]);
        }
      }
      activeCount = stillActive;
    }
    for (int i = 0; i < count; i++) {
      keys[i] = null;
    }
    count = 0;
  }

  /**
   * Groups the buffered events by key: fills {@code distinctKeys}, each key's first event in {@code cursor} and
   * {@code nextOfKey}, the next event of the same key or -1. Returns the number of distinct keys.
   */
  private int groupByKey() {
    keyIndex.clear();
    int distinct = 0;
    for (int i = 0; i < count; i++) {
      nextOfKey[i] = -1;
      Integer k = keyIndex.putIfAbsent(keys[i], distinct);
      if (k == null) {
        distinctKeys[distinct] = keys[i];
        cursor[distinct] = i;
        last[distinct] = i;
        distinct++;
      } else {
        nextOfKey[last[k]] = i;
        last[k] = i;
      }
    }
    return distinct;
  }
}
