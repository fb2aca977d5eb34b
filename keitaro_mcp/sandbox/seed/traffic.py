"""Seeded traffic: 90 days of clicks and their conversions, campaign by campaign, ending at ``now``.

Speed matters (1,000,000 clicks in well under a minute): rows are generated as plain tuples,
inserted with one ``executemany`` per campaign inside a single transaction, and indexes are built
afterwards (see ``store.TRAFFIC_INDEXES``). Each campaign's plan shapes its story: a new campaign
has only the last 20 days, a paused one stops 30 days ago, one breaks in the last week, one
fatigues; per-click costs are sized so the campaign lands near its target ROI.
"""

from __future__ import annotations

import json
import random
from typing import Any

from keitaro_mcp.sandbox.seed import portfolio, visitors
from keitaro_mcp.sandbox.seed.campaigns import CampaignPlan, Flow
from keitaro_mcp.sandbox.seed.entities import DAY
from keitaro_mcp.sandbox.store import TRAFFIC_INDEXES, Store

__all__ = ["DAYS", "seed_traffic"]

DAYS = 90

# Columns the seeder fills; the rest keep their defaults (NULL / 0).
PROFILE_COLUMNS = (
    "country_code", "region", "city", "language", "device_type", "device_model", "os", "os_version", "browser",
    "browser_version", "connection_type", "operator", "isp", "user_agent", "referrer", "source", "keyword",
    "ad_campaign_id", "creative_id", "sub_id_1", "sub_id_2", "sub_id_3", "sub_id_4",
)  # fmt: skip
SEEDED_CLICK_COLUMNS = (
    "id", "dt", "campaign_id", "stream_id", "offer_id", "landing_id", "ts_id", "sub_id", "visitor_code", "ip",
    "external_id", *PROFILE_COLUMNS,
    "is_bot", "is_unique_campaign", "is_unique_stream", "is_unique_global", "is_using_proxy", "landing_clicked",
    "landing_clicked_dt", "cost", "conversions", "leads", "sales", "rejected", "rebills", "lead_revenue",
    "sale_revenue", "rejected_revenue",
)  # fmt: skip
UNIQUE_CAMPAIGN = SEEDED_CLICK_COLUMNS.index("is_unique_campaign")

NETWORK_STATUSES = [
    {"lead": "hold", "sale": "confirmed", "rejected": "trash"},
    {"lead": "pending", "sale": "approved", "rejected": "declined"},
    {"lead": "lead", "sale": "sale", "rejected": "rejected"},
    {"lead": "pending", "sale": "approved", "rejected": "reversed"},
    {"lead": "1", "sale": "2", "rejected": "3"},
    {"lead": "hold", "sale": "approved", "rejected": "cancelled"},
]


def _day_weights(plan: CampaignPlan, rng: random.Random) -> list[float]:
    weights = []
    level = 1.0
    for d in range(DAYS):
        level = max(0.4, min(1.8, level * (1 + rng.uniform(-0.08, 0.08))))
        weekday_dip = 0.82 if d % 7 in (5, 6) else 1.0
        w = level * weekday_dip
        if plan.special == "new" and d < DAYS - 20:
            w = 0.0
        if plan.special == "paused" and d >= DAYS - 30:
            w = 0.0
        if plan.special == "archived" and d >= DAYS - 45:
            w = 0.0
        weights.append(w)
    return weights


HOUR_WEIGHTS = [2, 1.5, 1, 0.8, 0.7, 0.8, 1.2, 2, 3, 3.5, 3.8, 4, 4.2, 4.2, 4, 4, 4.2, 4.6, 5.2, 5.8, 6, 5.5, 4.5, 3]


def seed_traffic(store: Store, rng: random.Random, plans: list[CampaignPlan], clicks: int, now_epoch: int) -> None:
    total_volume = sum(p.volume for p in plans)
    window_start = now_epoch - DAYS * DAY
    click_id = 0
    conv_id = 0
    columns = ", ".join(SEEDED_CLICK_COLUMNS)
    marks = ", ".join("?" * len(SEEDED_CLICK_COLUMNS))
    click_sql = f"INSERT INTO clicks ({columns}) VALUES ({marks})"
    conv_sql = f"INSERT INTO conversions VALUES ({', '.join('?' * 13)})"
    devices = visitors.DEVICES
    device_weights = [d[7] for d in devices]
    received: list[tuple[int, str]] = []
    with store.transaction() as conn:
        for plan in plans:
            n = round(clicks * plan.volume / total_volume)
            if n == 0:
                continue
            rows, convs, click_id, conv_id = _campaign_traffic(
                plan, rng, n, click_id, conv_id, window_start, now_epoch, devices, device_weights, received
            )
            conn.executemany(click_sql, rows)
            conn.executemany(conv_sql, convs)
        for sql in TRAFFIC_INDEXES:
            conn.execute(sql)
        for dt, message in sorted(received)[-60:]:
            conn.execute("INSERT INTO logs (type, dt, jid, message) VALUES ('postbacks', ?, '', ?)", (dt, message))
        conn.execute("ANALYZE")
    store.bump_counter("clicks", click_id)
    store.bump_counter("conversions", conv_id)


def _profiles(
    plan: CampaignPlan,
    rng: random.Random,
    size: int,
    devices: list[tuple[str, str, str, str, str, str, str, float]],
    device_weights: list[float],
    bots: bool,
) -> list[tuple[Any, ...]]:
    """Visitor profiles of one campaign (geo, device, network, source fields) in PROFILE_COLUMNS order,
    drawn with the campaign's weights. Clicks sample them and add their own ids, times and IPs: a
    per-click draw of twenty fields would dominate seeding time."""
    source = portfolio.TRAFFIC_SOURCES[plan.ts_index]
    template, mobile_share, refs = source[1], source[2], source[4]
    rnd = rng.random
    geo_names = list(plan.geos)
    geo_w = list(plan.geos.values())
    # ~5% of clicks come from outside the targeted geos and fall to the default flow.
    stray = [g for g in visitors.GEOS if g not in plan.geos]
    mobile = [d for d in devices if d[0] != "desktop"]
    desktop = [d for d in devices if d[0] == "desktop"]
    mobile_w = [d[7] for d in mobile]
    desktop_w = [d[7] for d in desktop]
    out = []
    for _ in range(size):
        country = rng.choice(stray) if rnd() < 0.05 else rng.choices(geo_names, geo_w)[0]
        geo = visitors.GEOS[country]
        dev = rng.choices(mobile, mobile_w)[0] if rnd() < mobile_share else rng.choices(desktop, desktop_w)[0]
        ua = dev[6]
        if bots:
            dev = desktop[0]
            ua = rng.choice(visitors.BOT_USER_AGENTS) if rnd() < 0.6 else dev[6]
        region, city = rng.choice(geo[2])
        mobile_net = dev[0] != "desktop" and rnd() < 0.55
        isp = rng.choice(geo[4]) if mobile_net else rng.choice(geo[3])
        ref = rng.choice(refs)
        ad_campaign = rng.choice(plan.ad_campaigns)
        creative = f"cr_{plan.id:02d}_{1 + int(rnd() * 6)}"
        keyword = s1 = s2 = s3 = s4 = None
        if template == "facebook":
            s1 = rng.choice(visitors.FB_PLACEMENTS)
            s2 = f"{country} {dev[2]} {'25-44' if rnd() < 0.6 else '45-65'}"
            s3 = f"{ad_campaign[:10]}{int(rnd() * 6):02d}"
            s4 = str(120200000000000000 + int(rnd() * 10**12))  # the ad id
        elif template in ("propellerads", "zeropark"):
            s1 = str(4_100_000 + int(rnd() * 400) * 37)  # zone
            s2 = f"{0.01 + int(rnd() * 8) * 0.005:.3f}"  # bid
        else:
            keyword = rng.choice(visitors.KEYWORDS) if template == "google" else None
            s1 = ref
        out.append(
            (country, region, city, geo[1], dev[0], dev[1], dev[2], dev[3], dev[4], dev[5],
             "Cellular" if mobile_net else "Broadband", geo[4][0] if mobile_net else None, isp, ua,
             f"https://{ref}/", ref, keyword, ad_campaign, creative, s1, s2, s3, s4)
        )  # fmt: skip
    return out


def _campaign_traffic(
    plan: CampaignPlan,
    rng: random.Random,
    n: int,
    click_id: int,
    conv_id: int,
    window_start: int,
    now_epoch: int,
    devices: list[tuple[str, str, str, str, str, str, str, float]],
    device_weights: list[float],
    received: list[tuple[int, str]],
) -> tuple[list[list[Any]], list[tuple[Any, ...]], int, int]:
    source = portfolio.TRAFFIC_SOURCES[plan.ts_index]
    template, bot_rate = source[1], source[3]
    rnd = rng.random
    getrandbits = rng.getrandbits
    day_w = _day_weights(plan, rng)
    first_hour = (window_start // 3600) % 24
    hour_w = [HOUR_WEIGHTS[(first_hour + h) % 24] for h in range(24)]
    days = rng.choices(range(DAYS), day_w, k=n)
    hours = rng.choices(range(24), hour_w, k=n)
    size = max(256, min(n // 6, 6000))
    humans = _profiles(plan, rng, size, devices, device_weights, bots=False)
    robots = _profiles(plan, rng, max(32, size // 20), devices, device_weights, bots=True)
    n_humans, n_robots = len(humans), len(robots)
    flows_by_geo: dict[str, Flow] = {}
    default_flow = plan.flows[-1]
    for flow in plan.flows[:-1]:
        for c in flow.countries or ():
            flows_by_geo[c] = flow
    flow_of = {p[0]: flows_by_geo.get(p[0], default_flow) for p in humans}
    shares = {f.id: f.share_total for f in plan.flows}
    recent_break = now_epoch - 6 * DAY if plan.special == "broken_last_week" else None
    fatigue_from = now_epoch - 10 * DAY if plan.special == "fatigue" else None
    offers = portfolio.OFFERS
    push = template in ("propellerads", "zeropark")
    ip_prefix = {g: v[5] for g, v in visitors.GEOS.items()}
    rows: list[list[Any]] = []
    convs: list[tuple[Any, ...]] = []
    for i in range(n):
        click_id += 1
        dt = window_start + days[i] * DAY + hours[i] * 3600 + int(rnd() * 3600)
        is_bot = rnd() < bot_rate
        profile = robots[int(rnd() * n_robots)] if is_bot else humans[int(rnd() * n_humans)]
        country = profile[0]
        ip = f"{ip_prefix[country]}.{int(rnd() * 256)}.{int(rnd() * 256)}.{1 + int(rnd() * 254)}"
        unique_c = 0 if is_bot else (1 if rnd() < 0.8 else 0)
        unique_s = 1 if unique_c or (not is_bot and rnd() < 0.1) else 0
        unique_g = 1 if unique_c and rnd() < 0.85 else 0
        proxy = 1 if rnd() < (0.4 if is_bot else 0.015) else 0
        stream_id = offer_id = landing_id = lp_clicked = lp_dt = 0
        if is_bot:
            stream_id = plan.bot_flow
        else:
            flow = flow_of[country]
            stream_id = flow.id
            if flow.landings:
                landing_id = flow.landings[0][0] if rnd() < 0.5 else flow.landings[-1][0]
                if rnd() < 0.55:
                    lp_clicked = 1
                    lp_dt = dt + 8 + int(rnd() * 90)
            if lp_clicked or not flow.landings:
                pick = rnd() * shares[flow.id]
                for oid, share in flow.offers:
                    pick -= share
                    if pick <= 0:
                        offer_id = oid
                        break
        row: list[Any] = [
            click_id, dt, plan.id, stream_id, offer_id, landing_id, plan.ts_index + 1,
            f"{click_id:06x}{getrandbits(28):07x}",  # the subid: unique, the click id is its prefix
            f"{getrandbits(28):07x}", ip, f"{getrandbits(48):012x}" if push else None, *profile,
            int(is_bot), unique_c, unique_s, unique_g, proxy, lp_clicked, lp_dt, 0.0, 0, 0, 0, 0, 0, 0.0, 0.0, 0.0,
        ]  # fmt: skip
        if offer_id:
            o = offers[offer_id - 1]
            p = o[5] / 100 * plan.cr_mult * (0.75 if profile[4] == "desktop" else 1.0) * (1.4 if lp_clicked else 1.0)
            if recent_break is not None and dt >= recent_break:
                p = 0.0
            if fatigue_from is not None and dt >= fatigue_from:
                p *= 0.3
            if rnd() < p:
                conv_id = _conversions(row, o, rng, conv_id, now_epoch, convs, received)
        rows.append(row)
    _apply_costs(plan, rows)
    return rows, convs, click_id, conv_id


def _conversions(
    row: list[Any],
    offer: tuple[str, int, float, str, list[str], float, float, bool],
    rng: random.Random,
    conv_id: int,
    now_epoch: int,
    convs: list[tuple[Any, ...]],
    received: list[tuple[int, str]],
) -> int:
    """Write the conversion(s) of one click and fold them into the click row's aggregates."""
    rnd = rng.random
    click_id, dt, sub_id = row[0], row[1], row[7]
    payout = offer[2]
    statuses = NETWORK_STATUSES[offer[1]]
    lead_dt = dt + 30 + int(rng.expovariate(1 / 1500))
    if lead_dt >= now_epoch:
        return conv_id
    approve = offer[6] / 100
    u = rnd()
    direct = approve >= 0.85  # SOI/DOI style offers report a confirmed sale straight away
    final, decided = "lead", None
    if direct and u < approve:
        final, decided = "sale", lead_dt
    elif u < approve:
        final, decided = "sale", lead_dt + 3600 + int(rnd() * 4 * DAY)
    elif u < approve + (1 - approve) * 0.75:
        final, decided = "rejected", lead_dt + 3600 + int(rnd() * 5 * DAY)
    if decided is not None and decided >= now_epoch:
        final, decided = "lead", None
    previous = "lead" if decided is not None and decided != lead_dt else None
    conv_id += 1
    tid = f"{rng.getrandbits(40):010x}"
    postback_dt = decided or lead_dt
    convs.append(
        (conv_id, click_id, sub_id, tid, final, previous, statuses[final], payout, 0.0, "USD", postback_dt,
         decided if final == "sale" else None, json.dumps({"from": portfolio.AFFILIATE_NETWORKS[offer[1]][1]}))
    )  # fmt: skip
    received.append(
        (postback_dt, f"Received postback /postback?subid={sub_id}&status={statuses[final]}&payout={payout}")
    )
    row[-8] = 1  # conversions
    if final == "lead":
        row[-7] = 1
        row[-3] += payout
    elif final == "sale":
        row[-6] = 1
        row[-2] += payout
    else:
        row[-5] = 1
        row[-1] += payout
    if final == "sale" and offer[7]:
        at = decided or lead_dt
        for _ in range(int(rnd() * 3)):
            at += 28 * DAY + int(rnd() * 4 * DAY)
            if at >= now_epoch:
                break
            conv_id += 1
            amount = round(payout * 0.6, 2)
            convs.append(
                (conv_id, click_id, sub_id, f"{rng.getrandbits(40):010x}", "rebill", None, "rebill", amount, 0.0,
                 "USD", at, at, "{}")
            )  # fmt: skip
            row[-4] += 1
            row[-2] += amount
    return conv_id


def _apply_costs(plan: CampaignPlan, rows: list[list[Any]]) -> None:
    """Per-click cost by the campaign's model, sized so the campaign lands near its target ROI."""
    if plan.special == "no_cost" or not rows:
        return
    revenue = sum(r[-3] + r[-2] for r in rows)
    billable = [r for r in rows if r[UNIQUE_CAMPAIGN]] if plan.cost_type == "CPUC" else rows
    if not billable:
        return
    per_click = revenue / (1 + plan.target_roi / 100) / len(billable)
    per_click = round(max(per_click, 0.005), 4)
    for r in billable:
        r[-9] = per_click
