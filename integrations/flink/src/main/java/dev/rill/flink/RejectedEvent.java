package dev.rill.flink;

/**
 * An event that Rill did not step, on the rejected side output: its features had the wrong length, were missing,
 * or held NaN or an infinity while {@link RillConfig.Builder#rejectNonFinite(boolean)} was on. No key's state
 * changed for it.
 *
 * @param key the key of the event's stream
 * @param timestamp the event's timestamp, or {@link Long#MIN_VALUE} when it had none
 * @param event the event as it arrived
 * @param reason why it was rejected, e.g. "feature 3 of 128 is NaN"
 * @param <K> the key type
 * @param <E> the event type
 */
public record RejectedEvent<K, E>(K key, long timestamp, E event, String reason) {
}
