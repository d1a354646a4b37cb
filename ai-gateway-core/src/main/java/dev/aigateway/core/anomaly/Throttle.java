package dev.aigateway.core.anomaly;

/**
 * A throttled consumer's local allowance: a request bucket and a token bucket, each refilled
 * continuously at the consumer's baseline rate times the throttle factor and holding one time
 * bucket's worth. A call takes one request and needs a token balance above zero; its actual tokens
 * are charged when it ends (the balance may go below zero, and the debt delays later calls). A call
 * that a stage after the anomaly stage refuses gets its request back.
 */
final class Throttle {

  private final double requestsPerMilli;
  private final double requestCapacity;
  private final double tokensPerMilli; // 0: tokens are not throttled (no token baseline)
  private final double tokenCapacity;
  private double requests;
  private double tokens;
  private long last;

  /**
   * @param requestsPerMinute the allowed request rate
   * @param tokensPerMinute the allowed token rate, 0 for none
   * @param widthMillis the time bucket's width: each bucket holds this much of its rate
   */
  Throttle(double requestsPerMinute, double tokensPerMinute, long widthMillis, long now) {
    this.requestsPerMilli = requestsPerMinute / 60_000.0;
    this.requestCapacity = Math.max(1, requestsPerMilli * widthMillis);
    this.tokensPerMilli = tokensPerMinute / 60_000.0;
    this.tokenCapacity = Math.max(1, tokensPerMilli * widthMillis);
    this.requests = requestCapacity;
    this.tokens = tokenCapacity;
    this.last = now;
  }

  /** Takes one call's request; returns 0 when admitted, else the milliseconds to wait (>= 1). */
  synchronized long tryAcquire(long now) {
    refill(now);
    boolean tokensLeft = tokensPerMilli == 0 || tokens > 0;
    if (requests >= 1 && tokensLeft) {
      requests -= 1;
      return 0;
    }
    double waitRequests = requests >= 1 ? 0 : (1 - requests) / requestsPerMilli;
    double waitTokens = tokensLeft ? 0 : (Math.nextUp(-tokens)) / tokensPerMilli;
    double wait = Math.max(waitRequests, waitTokens);
    return wait >= Long.MAX_VALUE ? Long.MAX_VALUE : Math.max(1, (long) Math.ceil(wait));
  }

  /** Gives back the request of an admitted call that a later stage refused: it used nothing. */
  synchronized void refund() {
    requests = Math.min(requestCapacity, requests + 1);
  }

  /** Charges an admitted call's tokens. */
  synchronized void charge(long now, long used) {
    if (tokensPerMilli == 0 || used <= 0) {
      return;
    }
    refill(now);
    tokens -= used;
  }

  /** The allowed rates, for people. */
  double requestsPerMinute() {
    return requestsPerMilli * 60_000.0;
  }

  double tokensPerMinute() {
    return tokensPerMilli * 60_000.0;
  }

  private void refill(long now) {
    long elapsed = now - last;
    if (elapsed < 0) {
      last = now; // the clock stepped back: refill from now on, not once it is back where it was
      return;
    }
    if (elapsed == 0) {
      return;
    }
    last = now;
    requests = Math.min(requestCapacity, requests + elapsed * requestsPerMilli);
    if (tokensPerMilli > 0) {
      tokens = Math.min(tokenCapacity, tokens + elapsed * tokensPerMilli);
    }
  }
}
