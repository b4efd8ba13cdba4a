package dev.rill.flink;

import dev.rill.runtime.State;
import dev.rill.runtime.StreamingSession;
import java.io.Serial;
import java.util.Objects;
import org.apache.flink.api.common.functions.OpenContext;
import org.apache.flink.api.common.state.ValueState;
import org.apache.flink.api.common.typeinfo.TypeInformation;
import org.apache.flink.api.java.typeutils.ResultTypeQueryable;
import org.apache.flink.streaming.api.functions.KeyedProcessFunction;
import org.apache.flink.util.Collector;
import org.apache.flink.util.OutputTag;

/**
 * Rill in latency mode as a {@link KeyedProcessFunction}: each key is one recurrent stream, and each event is
 * stepped on its own as it arrives. For every event it restores the key's state from Flink keyed state into the
 * instance's {@link StreamingSession}, steps once, stores the new state and emits a {@link RillOutput} with the
 * key and the event's timestamp. The state is checkpointed, restored and redistributed on rescaling by Flink,
 * serialized by {@link RillStateSerializer}.
 *
 * <p>The model is loaded once per parallel instance in {@link #open} and closed in {@link #close}. Events whose
 * features do not fit (see {@link LoadedModel}) go to {@link #rejectedTag()} and change no state.
 * {@link Rill#process} wires it (or the throughput-mode operator) into a job; to use it directly:
 * <pre>{@code
 * KeyedStream<SensorReading, String> keyed = readings.keyBy(SensorReading::sensorId);
 * RillFunction<String, SensorReading> rill = RillFunction.of(config, keyed.getKeyType(), keyed.getType());
 * SingleOutputStreamOperator<RillOutput<String>> outputs = keyed.process(rill);
 * DataStream<RejectedEvent<String, SensorReading>> rejected = outputs.getSideOutput(rill.rejectedTag());
 * }</pre>
 *
 * @param <K> the key type
 * @param <E> the event type
 */
public final class RillFunction<K, E> extends KeyedProcessFunction<K, E, RillOutput<K>>
    implements ResultTypeQueryable<RillOutput<K>> {

  @Serial
  private static final long serialVersionUID = 1L;

  private final RillConfig<E> config;
  private final TypeInformation<RillOutput<K>> outputType;
  private final OutputTag<RejectedEvent<K, E>> rejectedTag;

  private transient LoadedModel loaded;
  private transient StreamingSession session;
  private transient ValueState<State> state;

  private RillFunction(RillConfig<E> config, TypeInformation<K> keyType, TypeInformation<E> eventType) {
    this.config = config;
    this.outputType = RillTypes.output(keyType);
    this.rejectedTag = RillTypes.rejectedTag(keyType, eventType);
  }

  /**
   * A latency-mode function; the mode set in {@code config} is not used (see {@link Rill#process} for both).
   *
   * @param config the model, features and options
   * @param keyType the key type of the keyed stream ({@code KeyedStream.getKeyType()})
   * @param eventType the event type ({@code KeyedStream.getType()})
   */
  public static <K, E> RillFunction<K, E> of(RillConfig<E> config, TypeInformation<K> keyType,
      TypeInformation<E> eventType) {
    return new RillFunction<>(Objects.requireNonNull(config, "config"), Objects.requireNonNull(keyType, "keyType"),
        Objects.requireNonNull(eventType, "eventType"));
  }

  /** The side output of the events that were not stepped. */
  public OutputTag<RejectedEvent<K, E>> rejectedTag() {
    return rejectedTag;
  }

  @Override
  public TypeInformation<RillOutput<K>> getProducedType() {
    return outputType;
  }

  @Override
  public void open(OpenContext openContext) throws Exception {
    loaded = LoadedModel.load(config);
    session = loaded.model().newSession();
    state = getRuntimeContext().getState(loaded.stateDescriptor(config.stateName()));
  }

  @Override
  public void processElement(E event, Context ctx, Collector<RillOutput<K>> out) throws Exception {
    float[] features = config.features().features(event);
    String rejection = loaded.rejection(features);
    Long timestamp = ctx.timestamp();
    long ts = timestamp == null ? Long.MIN_VALUE : timestamp;
    if (rejection != null) {
      ctx.output(rejectedTag, new RejectedEvent<>(ctx.getCurrentKey(), ts, event, rejection));
      return;
    }
    State previous = state.value();
    if (previous == null) {
      session.reset();
    } else {
      session.restore(previous);
    }
    float[] output = new float[loaded.outputSize()];
    session.step(features, output);
    state.update(session.snapshot());
    out.collect(new RillOutput<>(ctx.getCurrentKey(), ts, output));
  }

  @Override
  public void close() throws Exception {
    if (session != null) {
      session.close();
    }
    if (loaded != null) {
      loaded.close();
    }
  }
}
