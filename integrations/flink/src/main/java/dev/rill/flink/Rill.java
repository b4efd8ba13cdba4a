package dev.rill.flink;

import java.util.Objects;
import org.apache.flink.api.common.typeinfo.TypeInformation;
import org.apache.flink.streaming.api.datastream.DataStream;
import org.apache.flink.streaming.api.datastream.KeyedStream;
import org.apache.flink.streaming.api.datastream.SingleOutputStreamOperator;
import org.apache.flink.util.OutputTag;

/**
 * Puts a Rill model into a Flink job: one recurrent stream per key, its state in Flink keyed state.
 * <pre>{@code
 * KeyedStream<SensorReading, String> readings = source.keyBy(SensorReading::sensorId);
 * Rill.Result<String, SensorReading> rill = Rill.process(readings, config);
 * rill.outputs().uid("rill").print();
 * rill.rejected().print();
 * }</pre>
 * Give the operator a uid (as above) so that savepoints find its state after the job changes.
 */
public final class Rill {

  private Rill() {
  }

  /**
   * Steps every event of {@code events} through the configured model, in latency mode with {@link RillFunction}
   * or in throughput mode with {@link RillBatchOperator}.
   *
   * @param events the events, keyed by stream: each key has its own recurrent state
   * @param config the model, features, options and mode
   * @param <K> the key type
   * @param <E> the event type
   * @return the outputs and the rejected events
   */
  public static <K, E> Result<K, E> process(KeyedStream<E, K> events, RillConfig<E> config) {
    Objects.requireNonNull(events, "events");
    Objects.requireNonNull(config, "config");
    TypeInformation<K> keyType = events.getKeyType();
    TypeInformation<E> eventType = events.getType();
    if (config.mode() == RillConfig.Mode.LATENCY) {
      RillFunction<K, E> function = RillFunction.of(config, keyType, eventType);
      SingleOutputStreamOperator<RillOutput<K>> outputs = events.process(function).name("Rill (latency mode)");
      return new Result<>(outputs, function.rejectedTag());
    }
    RillBatchOperator<K, E> operator = new RillBatchOperator<>(config, keyType, eventType);
    SingleOutputStreamOperator<RillOutput<K>> outputs = events.transform("Rill (throughput mode)",
        RillTypes.output(keyType), operator);
    return new Result<>(outputs, operator.rejectedTag());
  }

  /**
   * What {@link #process} adds to the job.
   *
   * @param outputs one {@link RillOutput} per stepped event; set its uid, name or parallelism here
   * @param rejectedTag the side output of {@link #outputs} with the events that were not stepped
   * @param <K> the key type
   * @param <E> the event type
   */
  public record Result<K, E>(SingleOutputStreamOperator<RillOutput<K>> outputs,
      OutputTag<RejectedEvent<K, E>> rejectedTag) {

    /** The events that were not stepped, with the reason. */
    public DataStream<RejectedEvent<K, E>> rejected() {
      return outputs.getSideOutput(rejectedTag);
    }
  }
}
