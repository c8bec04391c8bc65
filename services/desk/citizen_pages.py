"""The citizens' pages (no sign-in: catalogue, lookup, forms, evaluation) and the counter's
tablet, mixed into DeskService, whose dependencies (db, settings, services) they use."""
from . import catalogue, citizen, citizen_payment, tablet
from .citizen_access import DossierPass, SecretChecks
from .web import CITIZEN_CSRF_COOKIE, page

COUNTER = ("counter_officer",)


class CitizenPages:
    @property
    def secret_checks(self):
        return SecretChecks(self.db, self.settings)

    @property
    def dossier_pass(self):
        return DossierPass(self.secret, self.settings.dossier_pass_minutes,
                           self.settings.secure_cookies)

    @page("GET", "/thu-tuc", citizen=True)
    def procedures(self, request):
        return catalogue.search_page(self.services(None, request), request)

    @page("GET", "/thu-tuc/<code>", citizen=True)
    def procedure(self, request, code):
        return catalogue.procedure_page(self.services(None, request), self.settings, code)

    @page("GET", "/tra-cuu", citizen=True)
    def lookup_form(self, request):
        return citizen.lookup_form(request, self.settings, self.dossier_pass)

    @page("POST", "/tra-cuu", csrf_cookie=CITIZEN_CSRF_COOKIE, citizen=True)
    def look_up(self, request):
        return citizen.look_up(self.services(None, request), self.secret_checks,
                               self.dossier_pass, self.settings, request)

    @page("GET", "/tra-cuu/<code>", citizen=True)
    def citizen_dossier(self, request, code):
        return citizen.dossier_page(self.services(None, request), self.settings,
                                    self.dossier_pass, request, code)

    @page("GET", "/tra-cuu/<code>/mau/<form>", citizen=True)
    def citizen_form(self, request, code, form):
        return citizen.issued_form(self.services(None, request), self.dossier_pass, request,
                                   code, form)

    @page("POST", "/tra-cuu/<code>/thanh-toan", csrf_cookie=CITIZEN_CSRF_COOKIE, citizen=True)
    def pay_online(self, request, code):
        return citizen_payment.start(self.services(None, request), self.settings,
                                     self.dossier_pass, request, code)

    @page("GET", "/tra-cuu/<code>/bien-lai/<receipt_id>", citizen=True)
    def citizen_receipt(self, request, code, receipt_id):
        return citizen_payment.receipt(self.services(None, request), self.dossier_pass, request,
                                       code, receipt_id)

    @page("GET", "/thanh-toan/ket-qua", citizen=True)
    def payment_result(self, request):
        return citizen_payment.result(self.services(None, request), self.dossier_pass, request)

    @page("GET", "/danh-gia/<code>", citizen=True)
    def evaluation_form(self, request, code):
        return citizen.evaluation_form(self.services(None, request), self.dossier_pass,
                                       self.settings, request, code)

    @page("POST", "/danh-gia/<code>", csrf_cookie=CITIZEN_CSRF_COOKIE, citizen=True)
    def evaluate(self, request, code):
        return citizen.evaluate(self.services(None, request), self.secret_checks,
                                self.dossier_pass, self.settings, request, code)

    @page("GET", "/danh-gia/<code>/cam-on", citizen=True)
    def evaluated(self, request, code):
        return citizen.evaluated(code)

    # the counter's tablet, signed in as the counter's officer
    @page("GET", "/quay/danh-gia", roles=COUNTER)
    def tablet(self, request, user):
        return tablet.tablet_page(self.services(user, request), user, request)

    @page("POST", "/quay/danh-gia", roles=COUNTER)
    def evaluate_visit(self, request, user):
        return tablet.evaluate_visit(self.services(user, request), user, request)
