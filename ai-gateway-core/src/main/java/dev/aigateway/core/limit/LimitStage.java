package dev.aigateway.core.limit;

import dev.aigateway.api.GatewayEvent;
import dev.aigateway.api.KeyResolver;
import dev.aigateway.api.LimitOutcome;
import dev.aigateway.api.LimitsInfo;
import dev.aigateway.api.Usage;
import dev.aigateway.api.spi.LimitCharge;
import dev.aigateway.api.spi.LimitSpec;
import dev.aigateway.api.spi.Reservation;
import dev.aigateway.api.spi.ReserveResult;
import dev.aigateway.core.pipeline.Admission;
import dev.aigateway.core.pipeline.CallStage;
import dev.aigateway.core.pipeline.Exchange;
import dev.aigateway.core.pipeline.Rejection;
import dev.aigateway.core.pipeline.Rejections;
import dev.aigateway.core.tokens.TokenCounts;
import java.time.Duration;
import java.time.Instant;
import java.util.Arrays;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.jspecify.annotations.Nullable;

/**
 * The limit stage: charges the call to every counter of every applicable limit, all or none, before
 * it is sent (its token estimate, one request, one in-flight slot; a local 429 or 403 when a
 * counter cannot admit it), and settles the reservation once the call has ended (the actual tokens,
 * the request if a backend answered, the slot freed). A failing store gets the gateway's {@link
 * StoreFailurePolicy} (see {@link GuardedStore}): the call goes on unreserved, is refused with 503,
 * or is counted locally; its event says which.
 */
public final class LimitStage implements CallStage {

  // The gateway's limits, store and consumers are the factory's: a call's stage holds only what
  // is its own (one object per call, kept small).
  private final LimitsFactory factory;
  private final Exchange exchange;
  private LimitOutcome limitOutcome = LimitOutcome.NONE;

  /**
   * Per limit that applied, the counter key it charged, for the event: with one limit, the consumer
   * register's map for the consumer (one per consumer and key, kept by {@link LimitsInfo} without a
   * copy); none applied: the empty map, likewise kept.
   */
  private Map<String, String> counterKeys = Collections.emptyMap();

  private Reservation reservation = Reservation.EMPTY;

  /** The reservation's {@link Reservation#reservedTokens()}, summed once at admission. */
  private long reservedTokens;

  /**
   * What the reservation holds, for the event: whether it counts tokens, the requests it reserved,
   * the in-flight slots it took. Read from its charges at admission, while they are at hand, so the
   * call's end (after the whole body) does not walk them again.
   */
  private boolean countsTokens;

  private long reservedRequests;
  private int inFlightSlots;

  private GuardedStore.Source source = GuardedStore.Source.STORE;
  private String rejectedLimit;

  private LimitStage(LimitsFactory factory, Exchange exchange) {
    this.factory = factory;
    this.exchange = exchange;
  }

  /**
   * The stage for a gateway's limits, or null when it has none.
   *
   * @param store the gateway's token store behind its guard, shared with the gateway's other
   *     counters (see {@link GuardedStore#of})
   */
  public static CallStage.@Nullable Factory of(List<TokenLimit> limits, GuardedStore store) {
    if (limits.isEmpty()) {
      return null;
    }
    return new LimitsFactory(limits, store, new ConsumerRegister(ConsumerRegister.MAX_CONSUMERS));
  }

  /**
   * The limit stage's factory: the gateway's guarded store, and the consumers its limits have
   * counted, which the gateway's inventory reads.
   */
  public static final class LimitsFactory implements CallStage.Factory {

    /** The most consumers a gateway remembers for its inventory. */
    public static final int MAX_REMEMBERED_CONSUMERS = ConsumerRegister.MAX_CONSUMERS;

    private final List<TokenLimit> limits;
    private final GuardedStore store;
    private final ConsumerRegister consumers;

    /** Every limit's counters together: the most charges a call can have. */
    private final int specCount;

    /**
     * Whether any limit names a response header (remaining tokens, quota or requests, tokens
     * consumed): without one, a call's admission looks at no charge for headers.
     */
    private final boolean anyHeader;

    private LimitsFactory(List<TokenLimit> limits, GuardedStore store, ConsumerRegister consumers) {
      this.limits = limits;
      int specs = 0;
      boolean headers = false;
      for (TokenLimit limit : limits) {
        specs += limit.specs().size();
        headers |=
            limit.remainingTokensHeader() != null
                || limit.remainingQuotaHeader() != null
                || limit.remainingRequestsHeader() != null
                || limit.tokensConsumedHeader() != null;
      }
      this.specCount = specs;
      this.anyHeader = headers;
      this.store = store;
      this.consumers = consumers;
    }

    /**
     * The consumers whose calls the limits have counted, most recently seen first, at most {@code
     * max} (the gateway remembers up to {@link #MAX_REMEMBERED_CONSUMERS}).
     */
    public List<SeenConsumer> consumers(int max) {
      return consumers.latest(max);
    }

    /** How many consumers the gateway remembers now. */
    public long consumerCount() {
      return consumers.size();
    }

    @Override
    public CallStage begin(Exchange exchange) {
      return new LimitStage(this, exchange);
    }

    /**
     * A call's limits reserve, settle (on the call's usage) and describe; they neither read nor
     * replace its body.
     */
    @Override
    public int phases() {
      return ADMIT | END | USAGE | DESCRIBE;
    }
  }

  @Override
  public @Nullable Admission admit() {
    String consumer = exchange.consumer();
    List<TokenLimit> limits = factory.limits;
    int specCount = factory.specCount;
    ConsumerRegister consumers = factory.consumers;
    int limitCount = limits.size();
    // Built without iterators, lists or maps of its own for the common gateway of one limit: the
    // charges become one immutable list, which the in-memory store keeps without copying it.
    // The first two charges are held as they are (a rate and a quota: the common call), an array
    // only beyond them.
    LimitCharge first = null;
    LimitCharge second = null;
    LimitCharge[] charges = null;
    String singleKey = null;
    TokenLimit[] owners = limitCount == 1 ? null : new TokenLimit[specCount];
    Map<String, String> keys = limitCount == 1 ? null : new LinkedHashMap<>();
    int count = 0;
    for (int l = 0; l < limitCount; l++) {
      TokenLimit limit = limits.get(l);
      if (!limit.appliesTo(consumer)) {
        continue;
      }
      KeyResolver resolver = limit.counterKey(exchange.route().pooled());
      String key =
          resolver == null
              ? consumer
              : Exchange.orDefault(exchange.resolve(resolver), TokenLimit.UNKNOWN_KEY);
      if (keys == null) {
        singleKey = key;
      } else {
        keys.put(limit.name(), key);
      }
      // A limit of requests only needs no prompt count (the per-call cost of counting tokens).
      long tokens =
          limit.countsTokens() && limit.estimatePromptTokens()
              ? Math.min(
                  Usage.MAX_TOKENS,
                  TokenCounts.sum(exchange.promptTokens(), exchange.outputAllowance()))
              : 0;
      List<LimitSpec> specs = limit.specs();
      for (int s = 0; s < specs.size(); s++) {
        LimitSpec spec = specs.get(s);
        if (owners != null) {
          owners[count] = limit;
        }
        LimitCharge charge = new LimitCharge(spec, key, TokenLimit.reservedAmount(spec, tokens));
        if (count == 0) {
          first = charge;
        } else if (count == 1) {
          second = charge;
        } else {
          if (charges == null) {
            charges = new LimitCharge[specCount];
            charges[0] = first;
            charges[1] = second;
          }
          charges[count] = charge;
        }
        count++;
      }
    }
    if (keys != null) {
      counterKeys = keys;
    }
    if (count > 0) {
      // The gateway's clock read when the call began, microseconds ago: not read again.
      long now = exchange.startedAt().toEpochMilli();
      if (keys == null) {
        counterKeys = consumers.saw(consumer, limits.get(0).name(), singleKey, now);
      } else {
        consumers.saw(consumer, keys, now);
      }
    }
    List<LimitCharge> charged = immutable(first, second, charges, count);
    GuardedStore.Reserved reserved = reserve(charged);
    ReserveResult result = reserved.result();
    if (factory.anyHeader && limitOutcome != LimitOutcome.STORE_FAILED) {
      addLimitHeaders(charged, owners, result); // a failed store's counts would be made up
    }
    if (source == GuardedStore.Source.FAILED_CLOSED || !result.admitted()) {
      Rejection rejection =
          source == GuardedStore.Source.FAILED_CLOSED
              ? Rejections.tokenStoreUnavailable(
                  exchange.request().format(), factory.store.policy().retryAfter())
              : reject(result, reserved.charges(), owners);
      return exchange.rejected(rejection);
    }
    reservation = result.reservation();
    reservedTokens = reservation.reservedTokens();
    exchange.reservedTokens(reservedTokens);
    List<LimitCharge> held = reservation.charges();
    for (int i = 0; i < held.size(); i++) {
      LimitSpec spec = held.get(i).limit();
      if (spec.kind() == LimitSpec.Kind.IN_FLIGHT) {
        inFlightSlots++;
      } else if (spec.unit() == LimitSpec.Unit.REQUESTS) {
        reservedRequests = 1; // per limit, the largest reservation, as for tokens
      } else {
        countsTokens = true;
      }
    }
    return null;
  }

  /**
   * The call's {@code count} charges as an immutable list: {@code first} and {@code second}, or,
   * beyond two, the first {@code count} of {@code more} (no array for one or two).
   */
  private static List<LimitCharge> immutable(
      LimitCharge first, LimitCharge second, LimitCharge @Nullable [] more, int count) {
    return switch (count) {
      case 0 -> List.of();
      case 1 -> List.of(first);
      case 2 -> List.of(first, second);
      default -> List.of(count == more.length ? more : Arrays.copyOf(more, count));
    };
  }

  /** The limit charge {@code i} belongs to: the only one, or its owner. */
  private TokenLimit owner(TokenLimit @Nullable [] owners, int i) {
    return owners == null ? factory.limits.get(0) : owners[i];
  }

  @Override
  public void end() {
    if (reservation.charges().isEmpty()) {
      return;
    }
    long[] actual =
        TokenLimit.actualAmounts(
            reservation.charges(), exchange.settledTokens(), exchange.backendAnswered());
    if (!factory.store.settle(reservation, actual, source, exchange.callId())) {
      limitOutcome = LimitOutcome.SETTLE_FAILED;
    }
  }

  @Override
  public void describe(GatewayEvent.Builder event) {
    // Only a reservation is settled: a call no limit applied to, or one the store failed to
    // reserve for, charged nothing.
    boolean charged =
        limitOutcome == LimitOutcome.SETTLED
            || limitOutcome == LimitOutcome.SETTLE_FAILED
            || limitOutcome == LimitOutcome.FALLBACK_SETTLED;
    event.limits(
        new LimitsInfo(
            counterKeys,
            reservedTokens,
            charged && countsTokens ? exchange.settledTokens() : 0,
            rejectedLimit,
            limitOutcome,
            reservedRequests,
            charged && exchange.backendAnswered() ? reservedRequests : 0,
            inFlightSlots));
  }

  private GuardedStore.Reserved reserve(List<LimitCharge> charges) {
    GuardedStore.Reserved reserved = factory.store.reserve(charges, exchange.callId());
    source = reserved.source();
    boolean admitted = reserved.result().admitted();
    limitOutcome =
        switch (source) {
          case STORE ->
              charges.isEmpty()
                  ? LimitOutcome.NONE
                  : admitted ? LimitOutcome.SETTLED : LimitOutcome.REJECTED;
          case FALLBACK ->
              admitted ? LimitOutcome.FALLBACK_SETTLED : LimitOutcome.FALLBACK_REJECTED;
          case FAILED_OPEN, FAILED_CLOSED -> LimitOutcome.STORE_FAILED;
        };
    return reserved;
  }

  private void addLimitHeaders(
      List<LimitCharge> charges, TokenLimit @Nullable [] owners, ReserveResult result) {
    for (int i = 0; i < charges.size(); i++) {
      TokenLimit owner = owner(owners, i);
      LimitCharge charge = charges.get(i);
      LimitSpec spec = charge.limit();
      boolean tokens = spec.unit() == LimitSpec.Unit.TOKENS;
      String remainingHeader =
          tokens
              ? spec.kind() == LimitSpec.Kind.RATE
                  ? owner.remainingTokensHeader()
                  : owner.remainingQuotaHeader()
              : spec.kind() == LimitSpec.Kind.RATE ? owner.remainingRequestsHeader() : null;
      if (remainingHeader != null) {
        long remaining = Math.max(0, result.remaining().get(i));
        // Counters that name one header: it says the least left, what the application can spend.
        String earlier = exchange.responseHeaders().get(remainingHeader);
        if (earlier == null || remaining < parsedOrMax(earlier)) {
          exchange.responseHeader(remainingHeader, String.valueOf(remaining));
        }
      }
      if (tokens && owner.tokensConsumedHeader() != null && result.admitted()) {
        exchange.responseHeader(owner.tokensConsumedHeader(), String.valueOf(charge.amount()));
      }
    }
  }

  private static long parsedOrMax(String value) {
    try {
      return Long.parseLong(value);
    } catch (NumberFormatException e) {
      return Long.MAX_VALUE;
    }
  }

  /**
   * @param charges the charges as the rejecting store took them (the fallback's are on its share of
   *     each limit), in the order of {@code owners}
   */
  private Rejection reject(
      ReserveResult result, List<LimitCharge> charges, TokenLimit @Nullable [] owners) {
    boolean fallback = source == GuardedStore.Source.FALLBACK;
    LimitCharge charge = result.rejectedBy();
    int index = charges.indexOf(charge);
    Duration wait = result.retryAfter();
    // A charge above its limit's whole capacity is refused however long the caller waits: that is
    // the answer, whichever limit the store named (a busy rate, a spent quota). Reporting another
    // limit would send the caller to wait and retry into the same refusal. (The fallback's shares
    // are not the limits' capacities: a call above one may fit once the store is back.)
    int never = fallback || neverFits(charge) ? -1 : firstNeverFitting(charges);
    if (never >= 0) {
      index = never;
      charge = charges.get(never);
      wait = neverFittingWait(charge.limit());
    }
    String limitName = index >= 0 ? owner(owners, index).name() : charge.limit().id();
    rejectedLimit = limitName;
    long left = index >= 0 && index < result.remaining().size() ? result.remaining().get(index) : 0;
    return Rejections.tokenLimit(
        exchange.request().format(),
        charge,
        limitName,
        left,
        wait,
        exchange.responseHeaders(),
        fallback,
        exchange.settings().quotaRejectionStatus());
  }

  /** Whether the charge needs more than its limit's whole capacity: no wait lets it fit. */
  private static boolean neverFits(LimitCharge charge) {
    return charge.required() > charge.limit().capacity();
  }

  /** The index of the first charge that can never fit, or -1 when every one can. */
  private static int firstNeverFitting(List<LimitCharge> charges) {
    for (int i = 0; i < charges.size(); i++) {
      if (neverFits(charges.get(i))) {
        return i;
      }
    }
    return -1;
  }

  /**
   * The wait a charge that can never fit is answered with, as the in-memory store answers it: a
   * rate's whole period, a quota's time to its window's end (so retrying clients do not spin).
   */
  private Duration neverFittingWait(LimitSpec spec) {
    if (spec.kind() != LimitSpec.Kind.QUOTA) {
      return spec.refillPeriod() != null ? spec.refillPeriod() : Duration.ZERO;
    }
    Instant now = exchange.settings().clock().instant();
    Duration untilEnd = Duration.between(now, spec.quotaPeriod().windowEnd(now, spec.zone()));
    return untilEnd.isNegative() ? Duration.ZERO : untilEnd;
  }
}
