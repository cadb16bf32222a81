"""The reference story, driven through a client that openapi-python-client
generated from openapi/openapi.json: what an integrator gets from the spec
alone. Every answer is parsed into the generated models (a body that does
not match its schema fails here), and every step checks what a user would.

Run by .ci/generated-client with FOLLOWUP_URL, FOLLOWUP_ADMIN_EMAIL and
FOLLOWUP_ADMIN_PASSWORD set and the generated package on PYTHONPATH.
"""

import datetime
import os
import sys
import uuid

from followup_client import AuthenticatedClient, Client
from followup_client.api.auth import login
from followup_client.api.check_ins import create_check_in, list_check_ins, review_check_in
from followup_client.api.comments import create_comment, list_comments
from followup_client.api.indicators import create_indicator, create_measurement
from followup_client.api.activities import create_activity, list_activities
from followup_client.api.monitoring import dashboard
from followup_client.api.organizations import create_organization
from followup_client.api.plans import approve_plan, create_plan, get_plan, list_plans, plan_history, submit_plan
from followup_client.api.programs import add_member, add_mentorship, create_program, list_members
from followup_client.api.sync import sync
from followup_client.api.users import create_user
from followup_client.models import (
    AddMemberBody,
    AddMentorshipBody,
    CheckInBody,
    CommentBody,
    CreateActivityBody,
    CreateCheckInBody,
    CreateCommentBody,
    CreateIndicatorBody,
    CreateMeasurementBody,
    CreateOrganizationBody,
    CreatePlanBody,
    CreateProgramBody,
    CreateUserBody,
    Direction,
    LoginBody,
    OrganizationKind,
    PlanBody,
    Problem,
    Progress,
    ProgramRole,
    ReasonBody,
    ReviewBody,
    ReviewDecision,
    SyncItemCheckIn,
    SyncItemComment,
    SyncItemPlan,
    Visibility,
)

BASE = os.environ["FOLLOWUP_URL"]
PASSWORD = "rehabilitasi-sosial-kupang-2023"
passed = 0


def check(what, ok):
    global passed
    if not ok:
        print(f"FAILED: {what}")
        print(f"story: {passed} passed, 1 failed")
        sys.exit(1)
    passed += 1
    print(f"ok: {what}")


def answer(response, status, what):
    """The parsed body of a response that must have `status`."""
    if response.status_code != status or isinstance(response.parsed, Problem) or response.parsed is None:
        print(f"FAILED: {what}: {response.status_code} {response.content[:500]!r}")
        print(f"story: {passed} passed, 1 failed")
        sys.exit(1)
    check(what, True)
    return response.parsed


def signed_in(email, password):
    anonymous = Client(base_url=BASE)
    tokens = answer(login.sync_detailed(client=anonymous, body=LoginBody(email=email, password=password)), 200,
                    f"{email} signs in")
    return AuthenticatedClient(base_url=BASE, token=tokens.access_token)


admin = signed_in(os.environ["FOLLOWUP_ADMIN_EMAIL"], os.environ["FOLLOWUP_ADMIN_PASSWORD"])
today = datetime.date.today()

efata = answer(create_organization.sync_detailed(client=admin, body=CreateOrganizationBody(
    name="Sentra Efata Kupang", kind=OrganizationKind.TECHNICAL_UNIT, region="Nusa Tenggara Timur")), 201,
    "the admin registers Sentra Efata in Kupang")

program = answer(create_program.sync_detailed(client=admin, body=CreateProgramBody(
    code="KOICA-ITP-2023-CLIENT",
    title="Invitational Training Program on Social Rehabilitation",
    theme="Enhancing Social Rehabilitation Support for the Vulnerable Youth in Indonesia",
    funder="KOICA",
    partners=["World Vision Korea", "KDS", "Re:bach International"],
    location="Seoul",
    training_starts_on=today - datetime.timedelta(days=60),
    training_ends_on=today - datetime.timedelta(days=49),
    follow_up_until=today + datetime.timedelta(days=120),
    check_in_cadence_days=14)), 201, "the admin opens the Seoul programme")
check("the programme keeps its partners", program.partners == ["World Vision Korea", "KDS", "Re:bach International"])

mentor = answer(create_user.sync_detailed(client=admin, body=CreateUserBody(
    email="young.joon.hong@client.example.org", display_name="Young Joon Hong", password=PASSWORD,
    time_zone="Asia/Seoul")), 201, "the mentor's account")
delegate = answer(create_user.sync_detailed(client=admin, body=CreateUserBody(
    email="yohanes.lado@client.example.org", display_name="Yohanes Lado", password=PASSWORD,
    time_zone="Asia/Makassar", organization_id=efata.id, position="Social worker")), 201,
    "the delegate's account, in Kupang's time zone")

for user, role in [(mentor, ProgramRole.MENTOR), (delegate, ProgramRole.DELEGATE)]:
    answer(add_member.sync_detailed(program.id, client=admin, body=AddMemberBody(user_id=user.id, role=role)), 201,
           f"{user.display_name} joins as {role.value}")
answer(add_mentorship.sync_detailed(program.id, client=admin, body=AddMentorshipBody(
    mentor_id=mentor.id, delegate_id=delegate.id)), 201, "Prof. Hong mentors Yohanes")

yohanes = signed_in("yohanes.lado@client.example.org", PASSWORD)
hong = signed_in("young.joon.hong@client.example.org", PASSWORD)

members = answer(list_members.sync_detailed(program.id, client=yohanes), 200, "the delegate lists the members")
others = [m for m in members.items if str(m.user_id) != str(delegate.id)]
check("a delegate sees names and roles, not other members' e-mails",
      len(others) == 1 and all(not isinstance(m.email, str) for m in others))

plan = answer(create_plan.sync_detailed(client=yohanes, body=CreatePlanBody(
    program_id=program.id,
    title="Peer support for young people leaving the Kupang shelter",
    problem_statement="Young people leave the shelter without a network.",
    goal="Pass the training on to 10 colleagues and 20 young people.",
    starts_on=today - datetime.timedelta(days=40),
    ends_on=today + datetime.timedelta(days=100))), 201, "Yohanes drafts his action plan")
check("a new plan is a draft", plan.status.value == "draft")

answer(create_activity.sync_detailed(plan.id, client=yohanes, body=CreateActivityBody(
    title="Peer-support workshop for 10 social workers", due_on=today + datetime.timedelta(days=30))), 201,
    "an activity")
indicator = answer(create_indicator.sync_detailed(plan.id, client=yohanes, body=CreateIndicatorBody(
    name="Young people in peer groups", unit="people", baseline=0.0, target=20.0, direction=Direction.INCREASE)),
    201, "an indicator")

answer(submit_plan.sync_detailed(plan.id, client=yohanes, body=ReasonBody()), 200, "Yohanes submits the plan")
approved = answer(approve_plan.sync_detailed(plan.id, client=hong, body=ReasonBody(
    reason="A clear plan; start with the workshop.")), 200, "Prof. Hong approves it")
check("an approved plan is active", approved.status.value == "active")

answer(create_measurement.sync_detailed(indicator.id, client=yohanes, body=CreateMeasurementBody(
    value=6.0, measured_on=today - datetime.timedelta(days=1))), 201, "a measurement")
check_in = answer(create_check_in.sync_detailed(plan.id, client=yohanes, body=CreateCheckInBody(
    reported_on=today - datetime.timedelta(days=1), summary="First peer group met; six young people came.",
    progress=Progress.ON_TRACK, confidence=8), idempotency_key=str(uuid.uuid4())), 201,
    "Yohanes reports from his phone, with an Idempotency-Key")
reviewed = answer(review_check_in.sync_detailed(check_in.id, client=hong, body=ReviewBody(
    decision=ReviewDecision.ACKNOWLEDGED, note="Well done.")), 200, "Prof. Hong acknowledges the check-in")
check("the review is recorded", reviewed.review_status.value == "acknowledged")
answer(create_comment.sync_detailed(plan.id, client=hong, body=CreateCommentBody(
    body="Invite the shelter's staff to the next meeting.", visibility=Visibility.SHARED)), 201, "a comment")

check_ins = answer(list_check_ins.sync_detailed(plan.id, client=hong), 200, "the mentor lists the check-ins")
check("one check-in", len(check_ins.items) == 1)
activities = answer(list_activities.sync_detailed(plan.id, client=yohanes), 200, "the delegate lists activities")
check("one activity, not overdue", len(activities.items) == 1 and activities.items[0].overdue is False)
comments = answer(list_comments.sync_detailed(plan.id, client=yohanes), 200, "the delegate reads the comments")
check("the shared comment reaches the delegate", len(comments.items) == 1)
history = answer(plan_history.sync_detailed(plan.id, client=hong), 200, "the plan's history")
check("submit and approve are in the history",
      {"submit", "approve"} <= {e.action for e in history.items})
read = answer(get_plan.sync_detailed(plan.id, client=hong), 200, "the mentor reads the plan")
check("the plan's version grew with its transitions", read.version >= 3)
listed = answer(list_plans.sync_detailed(client=hong), 200, "the mentor lists the plans")
check("a plan from the list and a plan from its GET are one class, PlanBody",
      type(listed.items[0]) is type(read) is PlanBody)

figures = answer(dashboard.sync_detailed(program.id, client=admin), 200, "the programme dashboard")
check("the dashboard counts the active plan", figures.plans_by_status.active == 1)

page = answer(sync.sync_detailed(client=yohanes), 200, "the phone's first sync")
kinds = {item.type_ for item in page.items}
check("the sync feed brings the plan, the check-in and the comment", {"plan", "check_in", "comment"} <= kinds)
typed = {SyncItemPlan: PlanBody, SyncItemCheckIn: CheckInBody, SyncItemComment: CommentBody}
synced = [item for item in page.items if type(item) in typed]
check("sync items decode into a class per type, their data into the entity's own class",
      len(synced) >= 3 and all(isinstance(item.data, typed[type(item)]) for item in synced))
check("the synced plan is the plan as its GET returns it",
      any(isinstance(item, SyncItemPlan) and item.data.id == plan.id and item.data.title == read.title
          for item in page.items))

print(f"story: {passed} passed, 0 failed")
