package dev.aigateway.core.routing;

import java.util.List;
import java.util.concurrent.atomic.AtomicLong;

/** Picks one backend among a tier's available candidates; one instance per tier. */
abstract class Selector {

  /** Breaks ties (and drives round-robin) so equal backends share load in turn. */
  private final AtomicLong turn = new AtomicLong();

  static Selector of(LoadBalancing strategy, int tierSize) {
    return switch (strategy.kind()) {
      case ROUND_ROBIN -> new RoundRobin();
      case WEIGHTED -> new Weighted(tierSize);
      case LEAST_BUSY -> new Scored((b, estimate, now) -> -b.inFlight());
      case LATENCY_AWARE -> new LatencyAware();
      case CAPACITY_AWARE -> new Scored((b, estimate, now) -> b.headroom(estimate, now));
      case SESSION_STICKY -> throw new IllegalArgumentException("sticky wraps a selector");
    };
  }

  abstract BackendState pick(List<BackendState> candidates, long estimate, long nowMillis);

  final int nextTurn(int size) {
    return (int) Math.floorMod(turn.getAndIncrement(), (long) size);
  }

  private static final class RoundRobin extends Selector {
    @Override
    BackendState pick(List<BackendState> candidates, long estimate, long nowMillis) {
      return candidates.get(nextTurn(candidates.size()));
    }
  }

  /** Smooth weighted round-robin (as nginx does it): deterministic and interleaved. */
  private static final class Weighted extends Selector {
    private final long[] current;

    Weighted(int tierSize) {
      this.current = new long[tierSize];
    }

    @Override
    synchronized BackendState pick(List<BackendState> candidates, long estimate, long nowMillis) {
      long total = 0;
      BackendState best = null;
      for (BackendState b : candidates) {
        int weight = b.backend().weight();
        current[b.tierIndex()] += weight;
        total += weight;
        if (best == null || current[b.tierIndex()] > current[best.tierIndex()]) {
          best = b;
        }
      }
      current[best.tierIndex()] -= total;
      return best;
    }
  }

  @FunctionalInterface
  interface Score {
    double of(BackendState backend, long estimate, long nowMillis);
  }

  /**
   * The lowest latency wins; unmeasured backends first, and a backend whose sample outlived its
   * lifetime counts as unmeasured until the call picked for it measures it again.
   */
  private static final class LatencyAware extends Scored {
    LatencyAware() {
      super(
          (b, estimate, now) -> {
            double latency = b.latencyForBalancing(now);
            return Double.isNaN(latency) ? Double.MAX_VALUE : -latency;
          });
    }

    @Override
    BackendState pick(List<BackendState> candidates, long estimate, long nowMillis) {
      BackendState picked = super.pick(candidates, estimate, nowMillis);
      if (Double.isNaN(picked.latencyForBalancing(nowMillis))
          && !Double.isNaN(picked.latencyEwmaNanos())) {
        picked.latencyProbed(nowMillis);
      }
      return picked;
    }
  }

  /** The highest score wins; ties go round in turn. */
  private static class Scored extends Selector {
    private final Score score;

    Scored(Score score) {
      this.score = score;
    }

    @Override
    BackendState pick(List<BackendState> candidates, long estimate, long nowMillis) {
      int size = candidates.size();
      int start = nextTurn(size);
      BackendState best = null;
      double bestScore = Double.NEGATIVE_INFINITY;
      for (int i = 0; i < size; i++) {
        BackendState b = candidates.get((start + i) % size);
        double s = score.of(b, estimate, nowMillis);
        if (best == null || s > bestScore) {
          best = b;
          bestScore = s;
        }
      }
      return best;
    }
  }
}
