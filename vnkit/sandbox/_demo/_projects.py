"""Project tasks, account groups and budgets of the demo projects.

Every project (but the non-project code ``X``) runs in three tasks over its own
period. Budgets are set per task and account group; the actual amounts are the
project's own income and expenses (what its customer and supplier documents carried,
as the ``project`` record totals them), shared out over the tasks, so a project's
budget lines add up to its totals.
"""

from __future__ import annotations

from collections.abc import Iterator

from .. import _seed as S
from ._shape import fit

S._T.update({
    "task.01": ("Planlegging", "Planering", "Suunnittelu", "Planlægning"),
    "task.02": ("Gjennomføring", "Genomförande", "Toteutus", "Gennemførelse"),
    "task.03": ("Oppfølging", "Uppföljning", "Seuranta", "Opfølgning"),
    "group.INCOME": ("Inntekter", "Intäkter", "Tuotot", "Indtægter"),
    "group.EXPENSE": ("Kostnader", "Kostnader", "Kulut", "Omkostninger"),
    "group.LABOR": ("Arbeid", "Arbete", "Työ", "Arbejde"),
})

_SHARES = (20, 60, 20)  # per cent of a project's amounts in each task


def tasks(co) -> dict[str, list[tuple[str, str, int, int]]]:
    """Project id -> [(task id, description, start day, end day)], always the same."""
    cached = getattr(co, "_demo_tasks", None)
    if cached is None:
        cached = {}
        for pr in co.project_list:
            start, end = pr["start"], pr["end"]
            span = max(3, end - start)
            cuts = (start, start + span * 20 // 100, start + span * 80 // 100, end)
            cached[pr["id"]] = [(f"0{k}", co.t(f"task.0{k}"), cuts[k - 1], cuts[k])
                                for k in (1, 2, 3)]
        co._demo_tasks = cached
    return cached


def records(co, project_totals: dict[str, tuple[int, int]]) -> Iterator[tuple[str, dict]]:
    """Account groups, then each project's tasks and budget lines.

    ``project_totals`` maps a project id to its (income, expenses) in cents, read from
    the ``project`` records as they streamed past.
    """
    for group in ("EXPENSE", "INCOME", "LABOR"):
        yield "projectaccountgroup", {"accountGroupId": group, "active": True,
                                      "description": co.t(f"group.{group}"),
                                      "attributes": [], "errorInfo": None}
    rng = co.rng("project-tasks")
    internal = 1000  # the key of a task's single GET: ids of one width keep key order
    for project_id, project_tasks in tasks(co).items():
        for task_id, description, start, end in project_tasks:
            internal += 1
            status = ("Completed" if end < co.p.as_of else
                      "Planned" if start > co.p.as_of else "Active")
            # A planned task was created before "today", however late it starts.
            made = min(start, co.p.as_of)
            changed = max(made, min(end, co.p.as_of))
            yield "project/tasks", {
                "internalId": internal, "projectInternalId": 500 + int(project_id) % 1000,
                "defAccount": fit(co.acct["sales_rated"], "DefAccountInTaskExtendedDto"),
                "defSub": {"active": True, "id": "10-300",
                           "description": co.sub[("10", "300")]["description"]},
                "defAccrualAccount": None, "defAccrualSub": None,
                "taxCategory": {"number": "03", "description": co.cat_ref["03"]["description"]},
                "lastModifiedDateTime": S._stamp(changed, S._office_ms(rng)),
                "createdDateTime": S._stamp(made, S._office_ms(rng)),
                "taskId": task_id, "description": description,
                "plannedStart": S._date(start), "plannedEnd": S._date(end),
                "startDate": S._date(start), "endDate": S._date(end) if status == "Completed"
                else None,
                "branch": {"number": co.branch["number"], "name": co.branch["name"]},
                "rateTable": None, "status": status, "restrictEmployees": False,
                "visibility": None, "employees": [], "attributes": []}
        income, expenses = project_totals.get(project_id, (0, 0))
        for (task_id, description, _, _), share in zip(project_tasks, _SHARES):
            for group, actual in (("INCOME", income), ("EXPENSE", expenses)):
                actual = actual * share // 100
                budget = actual * rng.randrange(90, 131) // 100 or 100_000 * share
                revised = budget if rng.random() < 0.7 else budget * rng.randrange(
                    100, 121) // 100
                yield "projectbudget", {
                    "projectID": project_id, "projectTaskID": task_id,
                    "accountGroupID": group, "inventoryNumber": None,
                    "description": f"{description} – {co.t(f'group.{group}')}",
                    "uom": None, "rate": 0.0, "originalBudgetQty": 0.0,
                    "originalBudgetAmount": S._money(budget), "revisedBudgetQty": 0.0,
                    "revisedBudgetAmount": S._money(revised), "actualQty": 0.0,
                    "actualAmount": S._money(actual),
                    "type": "Income" if group == "INCOME" else "Expense",
                    "committedQty": 0.0, "committedAmount": 0.0, "committedOpenQty": 0.0,
                    "committedOpenAmount": 0.0, "committedReceivedQty": 0.0,
                    "committedInvoicedQty": 0.0, "committedInvoicedAmount": 0.0,
                    "errorInfo": None}
