package dev.aigateway.api;

import java.time.Duration;
import java.time.Instant;
import java.util.Objects;
import org.jspecify.annotations.Nullable;

/**
 * One change of the token store's health, delivered to {@link GatewayListener#onStoreTransition}:
 * the store starts failing, is probed, or is healthy again. Each change is reported once, however
 * many calls it affects.
 *
 * <pre>{@code
 * public void onStoreTransition(StoreTransition t) {
 *   if (t.to() == StoreState.FAILING) {
 *     alerts.raise("token store " + t.store() + " down for " + t.coolDown() + ": " + t.reason());
 *   }
 * }
 * }</pre>
 *
 * @param store which store: its class name (never its address or credentials)
 * @param from the state before
 * @param to the state after; never equal to {@code from}
 * @param at when the change happened, per the gateway's clock
 * @param coolDown how long the store is left alone before the next probe when {@code to} is {@link
 *     StoreState#FAILING}, otherwise null
 * @param fallbackActive whether calls are now limited by the gateway's local fallback store (true
 *     from {@code HEALTHY -> FAILING} until {@code PROBING -> HEALTHY} when the failure policy
 *     falls back to local limits; always false under the other policies)
 * @param reason why, for people, free of secrets: for example {@code "5 reservations failed in a
 *     row; last: java.net.ConnectException"}, {@code "cool-down of PT1S passed"}, {@code "probe
 *     succeeded"}
 */
public record StoreTransition(
    String store,
    StoreState from,
    StoreState to,
    Instant at,
    @Nullable Duration coolDown,
    boolean fallbackActive,
    String reason) {

  /**
   * Validates the transition; {@code coolDown} is required exactly when the store starts failing.
   */
  public StoreTransition {
    Objects.requireNonNull(store, "store");
    Objects.requireNonNull(from, "from");
    Objects.requireNonNull(to, "to");
    Objects.requireNonNull(at, "at");
    Objects.requireNonNull(reason, "reason");
    Transitions.requireChange(from, to);
    Transitions.requireDurationWhen(
        "coolDown", coolDown, to == StoreState.FAILING, "the store starts failing", to);
  }
}
