package dev.aigateway.api.spi;

import java.util.List;

/**
 * Keeps token counters for rate limits and calendar quotas, per (limit, counter key).
 *
 * <p>Guarantees every implementation must give (the in-memory default is the reference):
 * <ul>
 *   <li><b>All or nothing.</b> {@link #reserve} admits only when every charge's counter has at
 *       least {@link LimitCharge#required()} tokens left, and then takes every charge's tokens
 *       atomically with respect to every other reserve and settle; otherwise it takes nothing
 *       anywhere. Charges that name the same limit and counter key take from that one counter
 *       together: it must have their tokens' sum left (at least 1), and each settles on its
 *       own, so the counter counts the call once per charge.</li>
 *   <li><b>Exact settlement.</b> {@link #settle} moves each counter by the difference between
 *       the actual tokens and that charge's reserved tokens, without an admission check, so a
 *       counter may go below zero (the overdraft delays later calls). Quota windows: the
 *       difference applies to the window the tokens were reserved in while it is current; once
 *       it has ended, a refund is dropped and an extra charge goes to the current window.</li>
 *   <li><b>Rates refill continuously</b> ({@code capacity} per refill period, never above
 *       capacity); <b>quotas reset</b> at each calendar window start.</li>
 *   <li><b>Bounded state.</b> Counters of idle keys may be dropped once dropping them loses
 *       nothing (a full bucket, an ended window).</li>
 *   <li><b>Thread-safe</b>, and fast enough for the hot path.</li>
 * </ul>
 */
public interface TokenLimitStore {

  /**
   * Reserves every charge or none.
   *
   * @param charges one per applicable limit; an empty list admits with {@link Reservation#EMPTY}
   */
  ReserveResult reserve(List<LimitCharge> charges);

  /**
   * Settles an admitted call to the tokens it actually used (0 refunds it). Call exactly once.
   */
  void settle(Reservation reservation, long actualTokens);
}
