package dev.aigateway.core.limit;

import dev.aigateway.api.CallOutcome;
import dev.aigateway.api.GatewayEvent;
import dev.aigateway.api.LimitOutcome;
import dev.aigateway.api.LimitsInfo;
import dev.aigateway.api.Usage;
import dev.aigateway.api.UsageSource;
import dev.aigateway.api.spi.LimitCharge;
import dev.aigateway.api.spi.LimitSpec;
import dev.aigateway.api.spi.Reservation;
import dev.aigateway.api.spi.ReserveResult;
import dev.aigateway.api.spi.TokenLimitStore;
import dev.aigateway.core.adapter.Admission;
import dev.aigateway.core.adapter.Rejection;
import dev.aigateway.core.pipeline.CallStage;
import dev.aigateway.core.pipeline.Exchange;
import dev.aigateway.core.pipeline.Rejections;
import dev.aigateway.core.tokens.TokenCounts;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.jspecify.annotations.Nullable;

/**
 * The token-limit stage: charges the call's estimate to every applicable limit, all or none, before
 * it is sent (a local 429 or 403 when a limit cannot admit it), and settles the reservation to the
 * call's actual tokens once it has ended. A failing store fails open (see {@link GuardedStore}):
 * the call goes on unreserved, and its event says so.
 */
public final class LimitStage implements CallStage {

  private final Exchange exchange;
  private final List<TokenLimit> limits;
  private final GuardedStore store;
  private LimitOutcome limitOutcome = LimitOutcome.NONE;
  private Map<String, String> counterKeys = Map.of();
  private Reservation reservation = Reservation.EMPTY;
  private String rejectedLimit;

  private LimitStage(Exchange exchange, List<TokenLimit> limits, GuardedStore store) {
    this.exchange = exchange;
    this.limits = limits;
    this.store = store;
  }

  /**
   * The stage for a gateway's limits, or null when it has none.
   *
   * @param storeTimeout how long a call waits for a store other than the in-memory one
   */
  public static CallStage.@Nullable Factory of(
      List<TokenLimit> limits, TokenLimitStore store, Duration storeTimeout) {
    if (limits.isEmpty()) {
      return null;
    }
    GuardedStore guarded = new GuardedStore(store, storeTimeout);
    return exchange -> new LimitStage(exchange, limits, guarded);
  }

  @Override
  public @Nullable Admission admit() {
    String consumer = exchange.consumer();
    List<LimitCharge> charges = new ArrayList<>(2 * limits.size());
    List<TokenLimit> owners = new ArrayList<>(2 * limits.size());
    // Most gateways have one limit: its key needs no map of its own (a per-call hot spot).
    Map<String, String> keys = limits.size() == 1 ? null : new LinkedHashMap<>();
    for (TokenLimit limit : limits) {
      if (!limit.appliesTo(consumer)) {
        continue;
      }
      String key =
          limit.counterKey() == null
              ? consumer
              : Exchange.orDefault(exchange.resolve(limit.counterKey()), TokenLimit.UNKNOWN_KEY);
      if (keys == null) {
        counterKeys = Map.of(limit.name(), key);
      } else {
        keys.put(limit.name(), key);
      }
      long tokens =
          limit.estimatePromptTokens()
              ? Math.min(
                  Usage.MAX_TOKENS,
                  TokenCounts.sum(exchange.promptTokens(), exchange.outputAllowance()))
              : 0;
      for (LimitSpec spec : limit.specs()) {
        charges.add(new LimitCharge(spec, key, TokenLimit.reservedAmount(spec, tokens)));
        owners.add(limit);
      }
    }
    if (keys != null) {
      counterKeys = keys;
    }
    ReserveResult result = reserve(charges);
    if (limitOutcome != LimitOutcome.STORE_FAILED) {
      addLimitHeaders(charges, owners, result); // a failed store's counts would be made up
    }
    if (!result.admitted()) {
      Rejection rejection = reject(result, charges, owners);
      exchange.ended(
          CallOutcome.REJECTED,
          rejection.status(),
          Usage.ZERO,
          UsageSource.NONE,
          0,
          null,
          rejection.reason(),
          rejection.reason().headerValue());
      return Admission.rejected(rejection);
    }
    reservation = result.reservation();
    exchange.reservedTokens(reservation.reservedTokens());
    return null;
  }

  @Override
  public void end() {
    if (reservation.charges().isEmpty()) {
      return;
    }
    long[] actual =
        TokenLimit.actualAmounts(
            reservation.charges(), exchange.settledTokens(), exchange.backendAnswered());
    if (!store.settle(reservation, actual, exchange.callId())) {
      limitOutcome = LimitOutcome.SETTLE_FAILED;
    }
  }

  @Override
  public void describe(GatewayEvent.Builder event) {
    // Only a reservation is settled: a call no limit applied to, or one the store failed to
    // reserve for, charged nothing.
    boolean charged =
        limitOutcome == LimitOutcome.SETTLED || limitOutcome == LimitOutcome.SETTLE_FAILED;
    event.limits(
        new LimitsInfo(
            counterKeys,
            reservation.reservedTokens(),
            charged ? exchange.settledTokens() : 0,
            rejectedLimit,
            limitOutcome));
  }

  private ReserveResult reserve(List<LimitCharge> charges) {
    // Fails open: an unavailable store must not take the application down with it.
    GuardedStore.Reserved reserved = store.reserve(charges, exchange.callId());
    limitOutcome =
        reserved.failed()
            ? LimitOutcome.STORE_FAILED
            : charges.isEmpty()
                ? LimitOutcome.NONE
                : reserved.result().admitted() ? LimitOutcome.SETTLED : LimitOutcome.REJECTED;
    return reserved.result();
  }

  private void addLimitHeaders(
      List<LimitCharge> charges, List<TokenLimit> owners, ReserveResult result) {
    for (int i = 0; i < charges.size(); i++) {
      TokenLimit owner = owners.get(i);
      LimitCharge charge = charges.get(i);
      String remainingHeader =
          charge.limit().kind() == LimitSpec.Kind.RATE
              ? owner.remainingTokensHeader()
              : owner.remainingQuotaHeader();
      if (remainingHeader != null) {
        exchange.responseHeader(
            remainingHeader, String.valueOf(Math.max(0, result.remaining().get(i))));
      }
      if (owner.tokensConsumedHeader() != null && result.admitted()) {
        exchange.responseHeader(owner.tokensConsumedHeader(), String.valueOf(charge.amount()));
      }
    }
  }

  private Rejection reject(
      ReserveResult result, List<LimitCharge> charges, List<TokenLimit> owners) {
    LimitCharge charge = result.rejectedBy();
    int index = charges.indexOf(charge);
    String limitName = index >= 0 ? owners.get(index).name() : charge.limit().id();
    rejectedLimit = limitName;
    long left = index >= 0 && index < result.remaining().size() ? result.remaining().get(index) : 0;
    return Rejections.tokenLimit(
        exchange.request().format(),
        charge,
        limitName,
        left,
        result.retryAfter(),
        exchange.responseHeaders());
  }
}
