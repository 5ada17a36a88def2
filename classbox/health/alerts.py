"""Alerts: each check is ok, warn or critical, with the time its level last changed."""

from __future__ import annotations

from typing import Any, Callable, Union

from classbox.web.i18n_marks import N_

LEVELS = ("ok", "warn", "critical")
RANK = {level: i for i, level in enumerate(LEVELS)}
# A French message, or a French template with its values (translated where shown, see alert_text).
Message = Union[str, tuple[str, dict[str, Any]]]
Check = tuple[str, Message, Any]  # (level, message, value)


def _disk(s: dict, cfg: dict) -> Check:
    disk = (s.get("system") or {}).get("disk")
    if not disk:
        return "warn", N_("Espace disque illisible"), None
    pct = disk["percent"]
    level = ("critical" if pct >= cfg["disk_critical_percent"] else
             "warn" if pct >= cfg["disk_warn_percent"] else "ok")
    free_gb = disk["free_bytes"] / 1e9
    return level, (N_("Disque des données rempli à %(percent)s %% (%(free)s Go libres)"),
                   {"percent": round(pct), "free": round(free_gb, 1)}), pct


def _temperature(s: dict, cfg: dict) -> Check:
    temp = (s.get("system") or {}).get("temperature_celsius")
    if temp is None:
        return "ok", N_("Température non mesurée sur cette machine"), None
    level = ("critical" if temp >= cfg["temp_critical_celsius"] else
             "warn" if temp >= cfg["temp_warn_celsius"] else "ok")
    return level, (N_("Température du processeur : %(temp)s °C"), {"temp": round(temp, 1)}), temp


def _power(s: dict, cfg: dict) -> Check:
    flags = (s.get("system") or {}).get("throttling")
    if flags is None:
        return "ok", N_("Alimentation non surveillée sur cette machine"), None
    now, past = flags["now"], flags["since_boot"]
    if now.get("under_voltage"):
        return "critical", N_("Sous-tension en ce moment : alimentation trop faible"), "under_voltage"
    if now.get("throttled") or now.get("freq_capped") or now.get("soft_temp_limit"):
        return "warn", N_("Processeur bridé en ce moment (chaleur ou alimentation)"), "throttled"
    if past.get("under_voltage"):
        return "warn", N_("Sous-tension survenue depuis le démarrage : vérifier l'alimentation"), "under_voltage_past"
    if past.get("throttled") or past.get("freq_capped"):
        return "warn", N_("Processeur bridé depuis le démarrage"), "throttled_past"
    return "ok", N_("Alimentation correcte"), None


def _memory(s: dict, cfg: dict) -> Check:
    mem = (s.get("system") or {}).get("memory")
    if not mem:
        return "ok", N_("Mémoire non mesurée"), None
    level = "warn" if mem["percent"] >= cfg["memory_warn_percent"] else "ok"
    return level, (N_("Mémoire utilisée à %(percent)s %%"), {"percent": round(mem["percent"])}), mem["percent"]


def _workers(s: dict, cfg: dict) -> Check:
    shared = ((s.get("app") or {}).get("classroom") or {}).get("shared")
    if shared is False:
        return "warn", N_("Redis ne répond pas : chaque processus web ne sert que ses propres connexions"), False
    return "ok", N_("Processus web reliés") if shared else N_("Un seul processus web"), shared


def _outbox(s: dict, cfg: dict) -> Check:
    targets = ((s.get("app") or {}).get("outbox") or {}).get("targets") or {}
    ages = {t: v["oldest_pending_age_seconds"] for t, v in targets.items()
            if v.get("oldest_pending_age_seconds") is not None}
    if not ages:
        return "ok", N_("Aucun envoi en attente"), 0
    target, age = max(ages.items(), key=lambda item: item[1])
    hours = age / 3600
    level = ("critical" if hours >= cfg["pending_critical_hours"] else
             "warn" if hours >= cfg["pending_warn_hours"] else "ok")
    return level, (N_("Plus ancien envoi en attente vers %(target)s : %(hours)s h"),
                   {"target": target, "hours": round(hours, 1)}), age


def _dead(s: dict, cfg: dict) -> Check:
    outbox = (s.get("app") or {}).get("outbox") or {}
    dead = outbox.get("dead") or 0
    crashed = min(outbox.get("dead_crashes") or 0, dead)  # abandoned after repeated kills of the agent
    level = "warn" if dead >= max(1, cfg["dead_warn_count"]) else "ok"
    if not dead:
        return level, N_("Aucun envoi refusé"), dead
    if not crashed:
        return level, (N_("%(count)s envoi(s) refusé(s) par l'ENT (à rejouer)"), {"count": dead}), dead
    if crashed == dead:
        return level, (N_("%(count)s envoi(s) abandonné(s) après des plantages répétés de l'agent de "
                          "synchronisation (à rejouer)"), {"count": dead}), dead
    return level, (N_("%(count)s envoi(s) à rejouer : %(refused)s refusé(s) par l'ENT, %(crashed)s abandonné(s) "
                      "après des plantages répétés de l'agent de synchronisation"),
                   {"count": dead, "refused": dead - crashed, "crashed": crashed}), dead


def _integrity(s: dict, cfg: dict) -> Check:
    check = (s.get("app") or {}).get("db_integrity")
    if check is None:
        return "ok", N_("Intégrité de la base pas encore vérifiée"), None
    if check["ok"]:
        return "ok", N_("Base de données intègre"), True
    return "critical", (N_("Base de données endommagée : %(problems)s"),
                        {"problems": "; ".join(check["problems"])[:300]}), False


def _clock(s: dict, cfg: dict) -> Check:
    synced = (s.get("system") or {}).get("clock_synced")
    if synced:
        return "ok", N_("Horloge synchronisée"), True
    if ((s.get("app") or {}).get("sync") or {}).get("clock_known"):
        return "ok", N_("Horloge non synchronisée par NTP, mais corrigée d'après l'heure de l'ENT"), False
    return "warn", N_("Horloge jamais synchronisée (NTP) : les dates peuvent être fausses"), False


def _backup(s: dict, cfg: dict) -> Check:
    last = ((s.get("app") or {}).get("backup") or {}).get("wall_time")
    if last is None:
        return "warn", N_("Aucune sauvegarde de la base"), None
    days = max(0.0, (s["wall"] - last) / 86400)
    level = "warn" if days >= cfg["backup_warn_days"] else "ok"
    return level, (N_("Dernière sauvegarde il y a %(days)s jour(s)"), {"days": round(days, 1)}), last


def _certificate(s: dict, cfg: dict) -> Check:
    tls = (s.get("app") or {}).get("tls")
    if not tls:
        return "ok", N_("Pas de certificat HTTPS : la classbox sert en HTTP"), None
    if tls.get("error"):
        return "critical", (N_("Certificat HTTPS illisible (%(path)s) : %(error)s"), tls), None
    days = tls["days_left"]
    level = ("critical" if days < cfg["cert_critical_days"] else "warn" if days < cfg["cert_warn_days"] else "ok")
    args = {"name": ", ".join(tls["names"][:3]), "issuer": tls["issuer"], "days": round(abs(days))}
    if days < 0:
        return level, (N_("Certificat HTTPS de %(name)s expiré depuis %(days)s jour(s) : le renouveler"), args), days
    return level, (N_("Certificat HTTPS de %(name)s (%(issuer)s) : encore %(days)s jour(s)"), args), days


CHECKS: dict[str, tuple[str, Callable[[dict, dict], Check]]] = {
    "disk": (N_("Disque"), _disk),
    "temperature": (N_("Température"), _temperature),
    "power": (N_("Alimentation"), _power),
    "memory": (N_("Mémoire"), _memory),
    "workers": (N_("Processus web"), _workers),
    "outbox": (N_("Envois en attente"), _outbox),
    "dead_records": (N_("Envois à rejouer"), _dead),
    "db_integrity": (N_("Base de données"), _integrity),
    "clock": (N_("Horloge"), _clock),
    "backup": (N_("Sauvegarde"), _backup),
    "certificate": (N_("Certificat HTTPS"), _certificate),
}


def alert(id: str, title: str, level: str, message: Message, value: Any, since: float) -> dict[str, Any]:
    """One alert as stored and shown: `message` in French, and its template and values when it has some."""
    template, args = (message, None) if isinstance(message, str) else message
    body = {"id": id, "title": title, "level": level, "message": template % args if args else template,
            "value": value, "since": since}
    if args:
        body.update(message_id=template, message_args=args)
    return body


def transition(previous: dict[str, Any] | None, new: dict[str, Any]) -> dict[str, Any]:
    """Keep the earlier "since" while the level stays the same."""
    if previous and previous.get("level") == new["level"] and isinstance(previous.get("since"), (int, float)):
        return dict(new, since=previous["since"])
    return new


def evaluate(sample: dict[str, Any], cfg: dict[str, Any],
             previous: dict[str, dict[str, Any]] | None = None) -> dict[str, dict[str, Any]]:
    """Every check on a sample, each with its level and since when it holds."""
    previous = previous or {}
    result = {}
    for id, (title, check) in CHECKS.items():
        try:
            level, message, value = check(sample, cfg)
        except Exception as err:  # a malformed sample is a warning, not a crash
            level, message, value = "warn", (N_("Contrôle impossible (%(error)s)"), {"error": type(err).__name__}), None
        result[id] = transition(previous.get(id), alert(id, title, level, message, value, sample["wall"]))
    return result


def ordered(alerts: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Worst first, then the oldest problem first."""
    return sorted(alerts, key=lambda a: (-RANK[a["level"]], a["since"] if a["level"] != "ok" else 0, a["id"]))


def worst(alerts: list[dict[str, Any]]) -> str:
    """The overall status: the worst level among the alerts."""
    return max((a["level"] for a in alerts), key=RANK.__getitem__, default="ok")
