package dev.aigateway.core.routing;

import com.github.benmanes.caffeine.cache.Cache;
import com.github.benmanes.caffeine.cache.Caffeine;
import dev.aigateway.api.BreakerTransition;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentMap;
import java.util.function.Consumer;
import java.util.function.Function;
import java.util.function.Predicate;
import org.jspecify.annotations.Nullable;

/**
 * Picks backends for calls: the lowest priority tier with an available backend (breaker not open,
 * not cooling down, below its in-flight cap) that serves the model, then the pool's strategy within
 * that tier. Thread-safe; one per gateway.
 */
public final class Router {

  /** The most models whose balancing state (turns, weights' running counts) is kept. */
  private static final int MAX_BALANCED_MODELS = 1_000;

  /** The key the balancing state of calls that name no model is kept under. */
  private static final String NO_MODEL = "";

  private final BackendPool pool;
  private final Clock clock;
  private final List<BackendState> all;
  private final List<List<BackendState>> tiers;

  /**
   * Each model's selectors, one per tier: a model's calls take their turns among themselves, so an
   * application that alternates two models (an embedding, then a chat) spreads each over the tier
   * instead of sending all of one model to one backend. Bounded, since a backend without a model
   * mapping serves any model a call names; a model dropped starts its turns again.
   */
  private final Cache<String, Selector[]> selectorsByModel;

  /** Makes a model's selectors, one per tier, by the pool's placement strategy. */
  private final Function<String, Selector[]> newSelectors;

  /** Sticky sessions: the backend of each session and model, or null when not sticky. */
  private final Cache<SessionModel, String> sessions;

  private final @Nullable SharedHealth sharedHealth;

  /**
   * A router over the pool's backends, each with a closed breaker. When the pool shares health, the
   * router subscribes to its channel here.
   *
   * @param transitions told of every breaker transition (also those another instance caused)
   */
  public Router(BackendPool pool, Clock clock, Consumer<BreakerTransition> transitions) {
    this.pool = pool;
    this.clock = clock;
    this.sharedHealth =
        pool.sharedHealth() == null ? null : new SharedHealth(pool.sharedHealth(), pool, clock);
    Consumer<BreakerTransition> reported =
        sharedHealth == null
            ? transitions
            : t -> {
              transitions.accept(t);
              sharedHealth.breakerMoved(t);
            };
    LoadBalancing strategy = pool.loadBalancing();
    LoadBalancing placement =
        strategy.kind() == LoadBalancing.Kind.SESSION_STICKY ? strategy.within() : strategy;
    Map<Integer, List<Backend>> byPriority = new TreeMap<>();
    for (Backend backend : pool.backends()) {
      byPriority.computeIfAbsent(backend.priority(), p -> new ArrayList<>()).add(backend);
    }
    List<BackendState> states = new ArrayList<>();
    List<List<BackendState>> tierList = new ArrayList<>();
    for (List<Backend> tierBackends : byPriority.values()) {
      List<BackendState> tier = new ArrayList<>();
      for (Backend backend : tierBackends) {
        CircuitBreaker breaker =
            new CircuitBreaker(backend.id(), pool.circuitBreaker(), clock, reported);
        BackendState state = new BackendState(backend, breaker, tier.size());
        tier.add(state);
        states.add(state);
      }
      tierList.add(List.copyOf(tier));
    }
    this.all = List.copyOf(states);
    this.tiers = List.copyOf(tierList);
    this.selectorsByModel = Caffeine.newBuilder().maximumSize(MAX_BALANCED_MODELS).build();
    this.newSelectors =
        model -> {
          Selector[] selectors = new Selector[tiers.size()];
          for (int t = 0; t < selectors.length; t++) {
            selectors[t] = Selector.of(placement, tiers.get(t).size());
          }
          return selectors;
        };
    this.sessions =
        strategy.kind() == LoadBalancing.Kind.SESSION_STICKY
            ? Caffeine.newBuilder()
                .expireAfterAccess(LoadBalancing.DEFAULT_SESSION_IDLE)
                .maximumSize(LoadBalancing.DEFAULT_MAX_SESSIONS)
                .build()
            : null;
    if (sharedHealth != null) {
      sharedHealth.start(all);
    }
  }

  /**
   * Keeps traffic off a backend that asked for a pause (a 429, 503 or 529 with a retry-after,
   * already capped by the pool's policy), and tells the other instances when the pool shares
   * health. A zero retry-after asks for no pause: nothing is kept, nor announced (a signal of no
   * time would also keep this instance from announcing a short cool-down that follows it).
   */
  void coolDown(BackendState backend, Duration duration) {
    if (duration.isZero() || duration.isNegative()) {
      return; // Retry-After: 0 (or a date past): no cool-down, so nothing to keep or announce
    }
    long now = clock.millis();
    backend.coolDown(now, duration);
    if (sharedHealth != null) {
      sharedHealth.cooledDown(backend, now, duration);
    }
  }

  /** The id this router's health signals carry, or null when the pool does not share health. */
  @Nullable String healthOrigin() {
    return sharedHealth == null ? null : sharedHealth.origin();
  }

  /** The pool the router routes over. */
  public BackendPool pool() {
    return pool;
  }

  /** Every backend's state, in tier order. */
  public List<BackendState> backends() {
    return all;
  }

  /** Whether any backend serves the model. */
  public boolean serves(@Nullable String model) {
    return serves(model, null);
  }

  /** Whether any backend {@code allowed} admits (null: any) serves the model. */
  public boolean serves(@Nullable String model, @Nullable Predicate<String> allowed) {
    for (BackendState b : all) {
      if (b.backend().serves(model) && permitted(b, allowed)) {
        return true;
      }
    }
    return false;
  }

  /** Whether a backend that serves the model could take a call now (available, below its cap). */
  public boolean anyAvailable(@Nullable String model) {
    return anyAvailable(model, null);
  }

  /**
   * Whether a backend {@code allowed} admits (null: any) that serves the model could take a call
   * now (available, below its cap).
   */
  public boolean anyAvailable(@Nullable String model, @Nullable Predicate<String> allowed) {
    return anyAvailable(model, allowed, false);
  }

  /**
   * Whether a backend that serves the model is available but at its in-flight cap: then no backend
   * could take a call only because of the caps, and one will as soon as an attempt ends.
   */
  public boolean anyAtCapacity(@Nullable String model, @Nullable Predicate<String> allowed) {
    return anyAvailable(model, allowed, true);
  }

  /**
   * Whether a backend {@code allowed} admits that serves the model is available and, as {@code
   * atCapacity} says, at its in-flight cap or below it.
   */
  private boolean anyAvailable(
      @Nullable String model, @Nullable Predicate<String> allowed, boolean atCapacity) {
    long now = clock.millis();
    for (BackendState b : all) {
      if (b.backend().serves(model)
          && permitted(b, allowed)
          && b.available(now)
          && b.atCapacity() == atCapacity) {
        return true;
      }
    }
    return false;
  }

  /** The soonest time a backend that serves the model becomes available. */
  public Instant soonestAvailable(@Nullable String model) {
    return soonestAvailable(model, null);
  }

  /** The soonest time a backend {@code allowed} admits (null: any) serving the model is free. */
  public Instant soonestAvailable(@Nullable String model, @Nullable Predicate<String> allowed) {
    Instant soonest = null;
    for (BackendState b : all) {
      if (b.backend().serves(model) && permitted(b, allowed)) {
        Instant at = b.availableAt();
        if (soonest == null || at.isBefore(soonest)) {
          soonest = at;
        }
      }
    }
    return soonest == null ? clock.instant() : soonest;
  }

  /**
   * Picks a backend for the model, counts the attempt in flight there and acquires its breaker,
   * preferring backends not in {@code tried}; returns it with the breaker's permit, or null when
   * none is available. The caller ends the attempt with {@link BackendState#callEnded()}.
   *
   * @param sessionKey the call's session key for sticky balancing, or null; a session is bound to
   *     one backend per model
   * @param estimate the call's token estimate, for capacity-aware balancing
   * @param allowTried whether a backend already tried may be picked when no other is available
   */
  public @Nullable Selection select(
      @Nullable String model,
      Collection<BackendState> tried,
      @Nullable String sessionKey,
      long estimate,
      boolean allowTried) {
    return select(model, tried, sessionKey, estimate, allowTried, null, null);
  }

  /**
   * As {@link #select(String, Collection, String, long, boolean)}, for a call whose attempt at
   * {@code holder} has not ended yet: {@code holder} may be picked even at its cap, and then the
   * attempt's slot there carries over to the next attempt (nothing more is counted in flight).
   *
   * <p>Only backends {@code allowed} admits by id (null: all) are picked, as a caller's access rule
   * restricts them.
   *
   * @param holder the backend of the call's attempt still in flight, or null
   */
  public @Nullable Selection select(
      @Nullable String model,
      Collection<BackendState> tried,
      @Nullable String sessionKey,
      long estimate,
      boolean allowTried,
      @Nullable BackendState holder,
      @Nullable Predicate<String> allowed) {
    SessionModel session =
        sessions != null && sessionKey != null ? new SessionModel(sessionKey, model) : null;
    // A call's first attempt binds its session to the backend it goes to; a later one (the call
    // moving on from a backend that failed it) binds only a session not bound yet, so the session
    // stays with its backend for as long as that backend is available.
    boolean rebinds = tried.isEmpty();
    Selection picked = selectAmong(model, tried, session, rebinds, estimate, holder, allowed);
    if (picked == null && allowTried && !tried.isEmpty()) {
      picked = selectAmong(model, List.of(), session, rebinds, estimate, holder, allowed);
    }
    return picked;
  }

  /**
   * What a sticky session is bound by: its key and the model of the call, so that a session whose
   * calls use several models (each served by backends of its own) stays on one backend for each.
   */
  private record SessionModel(String key, @Nullable String model) {}

  private static boolean permitted(BackendState b, @Nullable Predicate<String> allowed) {
    return allowed == null || allowed.test(b.id());
  }

  private Selection selectAmong(
      String model,
      Collection<BackendState> excluded,
      SessionModel session,
      boolean rebinds,
      long estimate,
      BackendState holder,
      Predicate<String> allowed) {
    // A breaker may refuse between the availability check and acquiring (a half-open probe taken
    // by another thread), and a capped backend may fill up in between; then the next candidate is
    // tried.
    List<BackendState> refused = null;
    Selector[] selectors = selectorsByModel.get(model == null ? NO_MODEL : model, newSelectors);
    while (true) {
      long now = clock.millis();
      String boundId = session == null ? null : sessions.getIfPresent(session);
      BackendState picked =
          pickOnce(model, selectors, excluded, refused, boundId, estimate, now, holder, allowed);
      if (picked == null) {
        return null;
      }
      boolean counted = picked != holder && picked.tryCallStarted();
      if (picked == holder || counted) {
        long permit = picked.breaker().tryAcquire();
        if (permit != CircuitBreaker.DENIED) {
          if (session == null || bind(session, boundId, picked.id(), rebinds)) {
            return new Selection(picked, permit);
          }
          // Another call bound (or moved) the session meanwhile: this one goes where it now is.
          picked.breaker().onIgnored(permit);
          if (counted) {
            picked.callEnded();
          }
          continue;
        }
        if (counted) {
          picked.callEnded();
        }
      }
      if (refused == null) {
        refused = new ArrayList<>(2);
      }
      refused.add(picked);
    }
  }

  /**
   * Binds the session to the picked backend as the call's attempt may, only if the binding is still
   * the one the pick saw ({@code seen}, null when unbound); false when another call bound or moved
   * the session meanwhile, so the call is placed again by the binding it made. A first attempt
   * binds an unbound session and moves a bound one; a later attempt (a failover) binds only an
   * unbound session, and goes where it picked either way.
   */
  private boolean bind(
      SessionModel session, @Nullable String seen, String picked, boolean rebinds) {
    ConcurrentMap<SessionModel, String> bound = sessions.asMap();
    if (seen == null) {
      String other = bound.putIfAbsent(session, picked);
      return other == null || other.equals(picked) || !rebinds;
    }
    if (!rebinds || seen.equals(picked)) {
      return true;
    }
    return bound.replace(session, seen, picked);
  }

  private BackendState pickOnce(
      String model,
      Selector[] selectors,
      Collection<BackendState> excluded,
      List<BackendState> refused,
      @Nullable String boundId,
      long estimate,
      long now,
      BackendState holder,
      Predicate<String> allowed) {
    if (boundId != null) {
      for (BackendState b : all) {
        if (b.id().equals(boundId)
            && eligible(b, model, excluded, refused, now, holder, allowed)
            && !eligibleBefore(
                b.backend().priority(), model, excluded, refused, now, holder, allowed)) {
          return b;
        }
      }
    }
    for (int t = 0; t < tiers.size(); t++) {
      List<BackendState> tier = tiers.get(t);
      List<BackendState> candidates = null;
      for (BackendState b : tier) {
        if (eligible(b, model, excluded, refused, now, holder, allowed)) {
          if (candidates == null) {
            candidates = new ArrayList<>(tier.size());
          }
          candidates.add(b);
        }
      }
      if (candidates != null) {
        return selectors[t].pick(candidates, estimate, now);
      }
    }
    return null;
  }

  /**
   * Whether a backend of a tier before {@code priority} is eligible: a session bound to a backend
   * of a later tier (it moved there when the earlier ones were unavailable) goes back, as tiers
   * come first.
   */
  private boolean eligibleBefore(
      int priority,
      String model,
      Collection<BackendState> excluded,
      List<BackendState> refused,
      long now,
      BackendState holder,
      Predicate<String> allowed) {
    for (int t = 0; t < tiers.size(); t++) {
      List<BackendState> tier = tiers.get(t);
      if (tier.get(0).backend().priority() >= priority) {
        return false;
      }
      for (BackendState b : tier) {
        if (eligible(b, model, excluded, refused, now, holder, allowed)) {
          return true;
        }
      }
    }
    return false;
  }

  private static boolean eligible(
      BackendState b,
      String model,
      Collection<BackendState> excluded,
      List<BackendState> refused,
      long now,
      BackendState holder,
      Predicate<String> allowed) {
    return b.backend().serves(model)
        && permitted(b, allowed)
        && !excluded.contains(b)
        && (refused == null || !refused.contains(b))
        && b.available(now)
        && (b == holder || !b.atCapacity());
  }
}
