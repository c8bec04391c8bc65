"""desk: the web application the center's staff work in. It holds no dossier: each page
calls the owning service's HTTP API with a token minted for the signed-in user."""
from werkzeug.wrappers import Response

from services.common.auth import check_secret
from services.common.db import Database
from services.common.http import UPLOADED_FILE_HEADERS, OpsEndpoints
from services.common.settings import ServiceSettings
from services.common.timers import interval_timer

from . import (
    calendar_days,
    counter,
    dashboard,
    dead_letters,
    department,
    manager,
    money,
    portal_sync,
    postoffice,
    reports,
    scans,
    signin,
    store,
)
from .citizen_pages import CitizenPages
from .clients import ServiceClients
from .settings import DeskSettings
from .static import static_file
from .web import SIGNED_IN, page, redirect

COUNTER = ("counter_officer",)
# who receives dossiers: the center's counter, and a post office's for the agencies that
# delegated it reception
RECEIVERS = ("counter_officer", "postal_clerk")
# who prints a dossier's forms and returns results: the counter, and the center's manager
PRINTERS = ("counter_officer", "manager")
# who prints a receipt and transfer slip: those who print, and the post office that received
RECEIPT_PRINTERS = ("counter_officer", "postal_clerk", "manager")
CLERK = ("postal_clerk",)
# who works from the inbox and the dossier page (the counter too: resubmission, withdrawal)
READERS = ("department_officer", "leader", "counter_officer", "manager")
MANAGER = ("manager",)


class ManagerPages:
    """The center's manager's pages, mixed into DeskService (whose dependencies they use):
    the dashboard, the reports, the calendar, the money, the national portal's sync, the dead
    letters and the staff's accounts."""

    @page("GET", "/dashboard", roles=MANAGER)
    def dashboard(self, request, user):
        return dashboard.dashboard_page(self.services(user, request), user)

    @page("GET", "/reports", roles=MANAGER)
    def reports(self, request, user):
        return reports.report_page(self.services(user, request), user, request)

    @page("GET", "/reports.csv", roles=MANAGER)
    def report_csv(self, request, user):
        return reports.report_page(self.services(user, request), user, request, output="csv")

    @page("GET", "/reports/print", roles=MANAGER)
    def report_print(self, request, user):
        return reports.report_page(self.services(user, request), user, request, output="print")

    @page("GET", "/dead-letters", roles=MANAGER)
    def dead_letters(self, request, user):
        return dead_letters.dead_letters_page(self.services(user, request), user, request)

    @page("GET", "/dead-letters/<key>", roles=MANAGER)
    def dead_letter(self, request, user, key):
        return dead_letters.dead_letter_page(self.services(user, request), user, key)

    @page("POST", "/dead-letters", roles=MANAGER)
    def take_dead_letters(self, request, user):
        return dead_letters.take(self.db, self.services(user, request), user, request)

    @page("GET", "/portal-sync", roles=MANAGER)
    def portal_sync(self, request, user):
        return portal_sync.sync_page(self.services(user, request), user, request)

    @page("POST", "/portal-sync/<code>/retry", roles=MANAGER)
    def retry_portal_sync(self, request, user, code):
        return portal_sync.retry(self.db, self.services(user, request), user, request, code)

    @page("GET", "/calendar", roles=MANAGER)
    def calendar(self, request, user):
        return calendar_days.calendar_page(self.services(user, request), user, request)

    @page("POST", "/calendar", roles=MANAGER)
    def set_calendar_day(self, request, user):
        return calendar_days.set_day(self.db, self.services(user, request), user, request)

    @page("POST", "/calendar/<day>/remove", roles=MANAGER)
    def remove_calendar_day(self, request, user, day):
        return calendar_days.remove_day(self.db, self.services(user, request), user, request,
                                        day)

    @page("GET", "/reconciliation", roles=MANAGER)
    def reconciliation(self, request, user):
        return money.reconciliation_page(self.services(user, request), user, request)

    @page("POST", "/reconciliation", roles=MANAGER)
    def import_statement(self, request, user):
        return money.import_statement(self.db, self.services(user, request), user, request)

    @page("GET", "/refunds", roles=MANAGER)
    def refunds(self, request, user):
        return money.refunds_page(self.services(user, request), user, request)

    @page("POST", "/refunds/<bill_id>", roles=MANAGER)
    def refund(self, request, user, bill_id):
        return money.refund(self.db, self.services(user, request), user, request, bill_id)

    @page("GET", "/accounts", roles=MANAGER)
    def accounts(self, request, user):
        return manager.accounts_page(self.db, user)

    @page("POST", "/accounts", roles=MANAGER)
    def add_account(self, request, user):
        return manager.add_account(self.db, user, request)

    @page("POST", "/accounts/<username>", roles=MANAGER)
    def change_account(self, request, user, username):
        return manager.change_account(self.db, user, username, request)


class DeskService(ManagerPages, CitizenPages, OpsEndpoints):
    name = "desk"

    db = Database()
    settings = ServiceSettings(DeskSettings)
    services = ServiceClients()

    # Sessions idle past the timeout are removed, and the secret checks' buckets full again.
    # The timer also wakes the event loop, which otherwise sleeps on the listening socket alone
    # and would not run nameko's SIGTERM handler (the desk has no broker connection to wake it).
    @interval_timer("DESK_SESSION_PURGE_SECONDS", 5)
    def purge_stale(self):
        with self.db.transaction() as cur:
            store.delete_idle_sessions(cur, self.settings.idle_minutes)
            store.delete_full_secret_check_buckets(cur, max(
                seconds for _, seconds in (self.settings.secret_checks_per_client,
                                           self.settings.secret_checks_per_code)))

    @property
    def secret(self):
        return check_secret(self.config["TOKEN_SECRET"])

    # signing in and out ------------------------------------------------------------------------
    @page("GET", "/", roles=SIGNED_IN)
    def index(self, request, user):
        return redirect(signin.home_of(user))

    @page("GET", "/static/<name>")
    def static(self, request, name):
        return static_file(name)

    @page("GET", "/sign-in")
    def sign_in_form(self, request):
        return signin.sign_in_page(request, self.settings)

    @page("POST", "/sign-in")
    def sign_in(self, request):
        return signin.sign_in(self.db, request, self.settings, self.secret)

    @page("POST", "/sign-out", roles=SIGNED_IN)
    def sign_out(self, request, user):
        return signin.sign_out(self.db, user, self.settings)

    @page("POST", "/sign-out-everywhere", roles=SIGNED_IN)
    def sign_out_everywhere(self, request, user):
        return signin.sign_out(self.db, user, self.settings, everywhere=True)

    @page("GET", "/password", roles=SIGNED_IN)
    def password_form(self, request, user):
        return signin.password_page(user)

    @page("POST", "/password", roles=SIGNED_IN)
    def change_password(self, request, user):
        return signin.change_password(self.db, request, user, self.secret, self.settings)

    # the counter ---------------------------------------------------------------------------------
    @page("GET", "/work", roles=COUNTER)
    def work(self, request, user):
        return counter.my_work(self.services(user, request), user)

    def reception_point(self, services, user):
        """Where the signed-in user receives: a post office's counter, or the center's."""
        if user["role"] == "postal_clerk":
            return postoffice.PostOfficeReception(services, user)
        return counter.CounterReception(user)

    @page("GET", "/reception", roles=RECEIVERS)
    def reception(self, request, user):
        services = self.services(user, request)
        return counter.reception_page(services, self.reception_point(services, user), user,
                                      request)

    @page("GET", "/reception/procedures", roles=RECEIVERS)
    def procedure_search(self, request, user):
        services = self.services(user, request)
        return counter.procedure_results(services, self.reception_point(services, user), user,
                                         request)

    @page("POST", "/reception", roles=RECEIVERS)
    def receive(self, request, user):
        services = self.services(user, request)
        return counter.submit_reception(self.db, services, self.reception_point(services, user),
                                        user, request)

    @page("POST", "/reception/guidance", roles=COUNTER)
    def guidance(self, request, user):
        return counter.guidance(self.db, self.services(user, request), user, request)

    @page("GET", "/reception/done/<code>", roles=RECEIVERS)
    def received(self, request, user, code):
        return counter.confirmation(self.services(user, request), user, code)

    @page("GET", "/dossiers/<code>/receipt", roles=RECEIPT_PRINTERS)
    def receipt(self, request, user, code):
        return counter.printed(self.services(user, request), "intake",
                               f"/api/v1/dossiers/{code}/receipt")

    @page("GET", "/dossiers/<code>/transfer-slip", roles=RECEIPT_PRINTERS)
    def transfer_slip(self, request, user, code):
        return counter.printed(self.services(user, request), "intake",
                               f"/api/v1/dossiers/{code}/transfer-slip")

    @page("GET", "/slips/guidance/<slip_id>", roles=PRINTERS)
    def guidance_slip(self, request, user, slip_id):
        return counter.printed(self.services(user, request), "intake",
                               f"/api/v1/guidance/{slip_id}")

    @page("GET", "/return", roles=PRINTERS)
    def return_search(self, request, user):
        return counter.find_for_return(self.services(user, request), user, request)

    @page("POST", "/return/<code>/payment", roles=PRINTERS)
    def payment(self, request, user, code):
        return counter.record_payment(self.db, self.services(user, request), user, code, request)

    @page("POST", "/return/<code>/returned", roles=PRINTERS)
    def returned(self, request, user, code):
        return counter.mark_returned(self.db, self.services(user, request), user, code, request)

    @page("GET", "/payment-receipts/<receipt_id>", roles=PRINTERS)
    def payment_receipt(self, request, user, receipt_id):
        return counter.printed(self.services(user, request), "payment",
                               f"/api/v1/receipts/{receipt_id}")

    # the post office ----------------------------------------------------------------------------
    @page("GET", "/post-office", roles=CLERK)
    def post_office(self, request, user):
        return postoffice.post_office_page(self.services(user, request), user)

    @page("GET", "/pickups", roles=CLERK)
    def pickups(self, request, user):
        return postoffice.pickups_page(self.services(user, request), user, request)

    @page("POST", "/pickups/<pickup_id>/<step>", roles=CLERK)
    def pickup_step(self, request, user, pickup_id, step):
        return postoffice.pickup_step(self.db, self.services(user, request), user, request,
                                      pickup_id, step)

    @page("GET", "/shipments", roles=CLERK)
    def shipments(self, request, user):
        return postoffice.shipments_page(self.services(user, request), user, request)

    @page("POST", "/shipments/import", roles=CLERK)
    def tracking_import(self, request, user):
        return postoffice.import_tracking_file(self.db, self.services(user, request), user,
                                               request)

    @page("GET", "/shipments/<tracking_number>", roles=CLERK)
    def shipment(self, request, user, tracking_number):
        return postoffice.shipment_page(self.services(user, request), user, tracking_number)

    @page("POST", "/shipments/<tracking_number>/events", roles=CLERK)
    def tracking_event(self, request, user, tracking_number):
        return postoffice.record_event(self.db, self.services(user, request), user,
                                       tracking_number, request)

    # the departments ----------------------------------------------------------------------------
    @page("GET", "/inbox", roles=READERS)
    def inbox(self, request, user):
        return department.inbox_page(self.services(user, request), user, request, self.settings)

    @page("GET", "/inbox/rows", roles=READERS)
    def inbox_rows(self, request, user):
        return department.inbox_page(self.services(user, request), user, request, self.settings,
                                     partial=True)

    @page("GET", "/dossiers/<code>", roles=READERS)
    def dossier(self, request, user, code):
        return department.dossier_page(self.services(user, request), user, code, request)

    @page("GET", "/documents/<document_id>/pages/<int:page_number>/thumbnail", roles=READERS)
    def thumbnail(self, request, user, document_id, page_number):
        """A page of a dossier's document as docstore draws it, asked with the officer's own
        authority (docstore decides who sees it); the address holds the document's id only."""
        return Response(scans.thumbnail(self.services(user, request), document_id, page_number),
                        mimetype="image/png")

    @page("GET", "/documents/<document_id>/file", roles=READERS)
    def document_file(self, request, user, document_id):
        """The whole signed scan, in the browser: sandboxed (no script, no form, no plugin of
        the PDF's may act on the desk's origin) and never taken for anything but a PDF."""
        found, pdf = scans.signed_file(self.services(user, request), document_id)
        return Response(pdf, mimetype="application/pdf", headers={
            **UPLOADED_FILE_HEADERS, "Content-Disposition": f'inline; filename="{found}.pdf"'})

    @page("GET", "/dossiers/<code>/forms/<form>", roles=READERS)
    def dossier_form(self, request, user, code, form):
        return counter.printed(self.services(user, request), "routing",
                               f"/api/v1/dossiers/{code}/forms/{form}")

    @page("GET", "/dossiers/<code>/actions/<action>", roles=READERS)
    def action_form(self, request, user, code, action):
        return department.action_form(self.services(user, request), user, code, action)

    @page("POST", "/dossiers/<code>/actions/<action>", roles=READERS)
    def act(self, request, user, code, action):
        return department.submit_action(self.db, self.services(user, request), user, code,
                                        action, request)
