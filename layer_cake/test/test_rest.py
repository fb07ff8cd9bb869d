"""REST forms: requests to FormRequest, and ResourceDispatch (network.md §5.6, §17 item 20).

The socket-level half of item 20 (and the NotListening cases) is in
test_http_server; here the same routes are driven from request bytes to
response bytes without a transport.
"""

import json

from twisted.trial import unittest

import layer_cake as lc
from layer_cake.net import http_codec as H
from layer_cake.net import rest


class Customer(object):
    def __init__(self, name: str = None, age: int = None):
        self.name = name
        self.age = age


class Order(object):
    def __init__(self, item: str = None):
        self.item = item


lc.bind(Customer)
lc.bind(Order)

FORM = lc.ReForm('/{resource}(/{identity})?', resource=r'\w+', identity='[0-9]+')


class Layer(object):
    """Stands in for the object that received the request: sends and warnings recorded."""

    def __init__(self):
        self.return_address = ('requester',)
        self.sent = []
        self.warnings = []

    def send(self, message, to):
        self.sent.append((message, to))

    def warning(self, *words, **kv):
        self.warnings.append(' '.join(str(w) for w in words))


def form_request(method='GET', uri='/customer', header=None, body=None, form=FORM):
    """The FormRequest the server would deliver for a request."""
    pattern, names = form.compile_form()
    parsed = H.ParsedRequest(method, uri, 'HTTP/1.1', {} if header is None else header, body)
    return H.request_to_form(parsed, pattern, names)


def list_customers(self):
    return lc.HttpResponse(body='all of them')


def create_customer(self, body=None):
    return lc.HttpResponse(status_code=201, reason_phrase='Created', body=body.name)


def read_customer(self, identity=None):
    if identity == 99:
        return lc.HttpResponse(status_code=404, reason_phrase='Not Found')
    return lc.HttpResponse(body='customer %d' % (identity,))


def nothing(self, identity=None):
    return None


def refuse(text):
    raise ValueError('not today')


def customers():
    """The dispatch of item 20."""
    dispatch = rest.ResourceDispatch(FORM, [Customer, Order])
    dispatch.add(Customer, lc.HttpMethod.GET, list_customers)
    dispatch.add(Customer, lc.HttpMethod.POST, create_customer, body=rest.decode_body(Customer))
    dispatch.add(Customer, lc.HttpMethod.GET, read_customer, identity=int)
    dispatch.add(Customer, lc.HttpMethod.DELETE, read_customer, identity=int)
    return dispatch


def fault_of(response):
    """The Faulted in a 400 HttpResponse's JSON body."""
    return lc.CodecJson().decode(bytes(response.body), lc.Any())


class FormTests(unittest.SynchronousTestCase):
    """Requests to FormRequest."""

    def test_match(self):
        """Item 20: GET /customer/7 gives form_entry {'resource': 'customer', 'identity': '7'}."""
        m = form_request('GET', '/customer/7', {'Host': 'a'})
        self.assertIsInstance(m, lc.FormRequest)
        self.assertEqual((m.method, m.request, m.http, m.header, m.body),
                         ('GET', '/customer/7', 'HTTP/1.1', {'Host': 'a'}, None))
        self.assertEqual(m.form_entry, {'resource': 'customer', 'identity': '7'})

    def test_absent_field_is_none(self):
        """An optional field that did not match is None in form_entry."""
        self.assertEqual(form_request(uri='/customer').form_entry,
                         {'resource': 'customer', 'identity': None})

    def test_body_kept(self):
        """The body arrives as a bytearray."""
        m = form_request('POST', '/customer', body=b'{"value": {}}')
        self.assertEqual(m.body, bytearray(b'{"value": {}}'))
        self.assertIsInstance(m.body, bytearray)

    def test_no_full_match(self):
        """Item 20: GET /customer/x (and a URI with a query the form lacks) is a 400."""
        for uri in ['/customer/x', '/customer/7?x=1', '/customer/', '/', '/a/b/c']:
            e = self.assertRaises(H.HttpError, form_request, 'GET', uri)
            self.assertEqual((e.status, e.uri, e.close), (400, uri, False))

    def test_query_in_form(self):
        """A form may take the query string in a field of its own."""
        form = lc.ReForm('/{resource}\\?q={q}', resource=r'\w+', q='[a-z]*')
        m = form_request(uri='/customer?q=ann', form=form)
        self.assertEqual(m.form_entry, {'resource': 'customer', 'q': 'ann'})

    def test_form_request_from_bytes(self):
        """A parsed request from the wire becomes a FormRequest with its header and body."""
        data = (b'POST /customer HTTP/1.1\r\nContent-Type: application/json\r\n'
                b'Content-Length: 13\r\n\r\n{"value": {}}')
        parsed, = H.RequestParser().feed(data)
        pattern, names = FORM.compile_form()
        m = H.request_to_form(parsed, pattern, names)
        self.assertEqual((m.method, m.header['Content-Type'], m.body),
                         ('POST', 'application/json', bytearray(b'{"value": {}}')))


class RegistrationTests(unittest.SynchronousTestCase):
    """Building a ResourceDispatch."""

    def test_form_needs_resource(self):
        """A form without a 'resource' field is refused with ValueError."""
        self.assertRaises(ValueError, rest.ResourceDispatch,
                          lc.ReForm('/{thing}', thing=r'\w+'), [Customer])

    def test_bad_registrations(self):
        """Unlisted resources, non-methods, unknown fields and doubles are refused."""
        dispatch = customers()
        self.assertRaises(ValueError, dispatch.add, lc.Faulted, lc.HttpMethod.GET, list_customers)
        self.assertRaises(ValueError, dispatch.add, Customer, 'GET', list_customers)
        self.assertRaises(ValueError, dispatch.add, Customer, lc.HttpMethod.PUT, list_customers,
                          colour=None)
        self.assertRaises(ValueError, dispatch.add, Customer, lc.HttpMethod.PUT, list_customers,
                          resource=None)
        self.assertRaises(ValueError, dispatch.add, Customer, lc.HttpMethod.PUT, list_customers,
                          identity='int')
        self.assertRaises(ValueError, dispatch.add, Customer, lc.HttpMethod.PUT, 'f')
        self.assertRaises(ValueError, dispatch.add, Customer, lc.HttpMethod.GET, read_customer,
                          identity=str)


class DispatchTests(unittest.SynchronousTestCase):
    """Item 20: routing by resource, method and fields present."""

    def setUp(self):
        self.dispatch = customers()
        self.layer = Layer()

    def serve(self, method, uri, header=None, body=None):
        """The one answer sent back for a request."""
        self.dispatch(self.layer, form_request(method, uri, header, body))
        self.assertEqual(len(self.layer.sent), 1, self.layer.sent)
        answer, to = self.layer.sent.pop()
        self.assertEqual(to, ('requester',))
        return answer

    def assertClientError(self, response, text):
        """A 400 JSON Faulted following §5.4, with ``text`` in its explanation."""
        self.assertIsInstance(response, lc.HttpResponse)
        self.assertEqual((response.status_code, response.reason_phrase), (400, 'Client Error'))
        self.assertEqual(response.header, {'Content-Type': 'application/json'})
        fault = fault_of(response)
        self.assertIsInstance(fault, lc.Faulted)
        self.assertEqual(fault.error_code, 400)
        self.assertTrue(fault.condition.startswith('cannot recover request "'), fault.condition)
        self.assertIn(text, fault.explanation)
        return fault

    def test_list(self):
        """GET /customer calls the list function."""
        self.assertEqual(self.serve('GET', '/customer').body, 'all of them')

    def test_create(self):
        """POST /customer with a JSON body calls create with the decoded Customer (201)."""
        answer = self.serve('POST', '/customer', {'Content-Type': 'application/json'},
                            b'{"value": {"name": "Ann", "age": 3}}')
        self.assertEqual((answer.status_code, answer.body), (201, 'Ann'))

    def test_read(self):
        """GET /customer/7 calls read with identity=7 (converted by int)."""
        f, kwargs = self.dispatch.lookup(form_request('GET', '/customer/7'))
        self.assertEqual((f, kwargs), (read_customer, {'identity': 7}))
        self.assertEqual(self.serve('GET', '/customer/7').body, 'customer 7')

    def test_delete_not_found(self):
        """DELETE /customer/99 gets the function's 404."""
        self.assertEqual(self.serve('DELETE', '/customer/99').status_code, 404)

    def test_no_matching_signature(self):
        """PATCH /customer (nothing registered for PATCH) is a 400 'no matching call signature'."""
        f, kwargs = self.dispatch.lookup(form_request('PATCH', '/customer'))
        self.assertIs(f, rest.cannot_be_dispatched)
        fault = self.assertClientError(self.serve('PATCH', '/customer'),
                                       'no matching call signature')
        self.assertEqual(fault.condition, 'cannot recover request "/customer"')

    def test_fields_must_match(self):
        """A registered method with other fields present is a 400 'no matching call signature'."""
        self.assertClientError(self.serve('POST', '/customer/7'), 'no matching call signature')
        self.assertClientError(self.serve('DELETE', '/customer'), 'no matching call signature')

    def test_unknown_resource(self):
        """A resource not listed, or not in lower case, cannot be dispatched."""
        for uri in ['/Customer/7', '/supplier', '/order']:
            f, kwargs = self.dispatch.lookup(form_request('GET', uri))
            self.assertIs(f, rest.cannot_be_dispatched, uri)
        self.assertClientError(self.serve('GET', '/Customer/7'), 'unusable resource')

    def test_unknown_method(self):
        """A method that is not an HttpMethod cannot be dispatched."""
        for method in ['FOO', 'get']:
            f, _ = self.dispatch.lookup(form_request(method, '/customer'))
            self.assertIs(f, rest.cannot_be_dispatched)
        self.assertClientError(self.serve('FOO', '/customer'), rest.UNUSABLE)

    def test_converter_raising(self):
        """A converter that raises gives cannot_be_converted: a 400 naming the field."""
        self.dispatch.add(Customer, lc.HttpMethod.PUT, read_customer, identity=refuse)
        f, kwargs = self.dispatch.lookup(form_request('PUT', '/customer/7'))
        self.assertIs(f, rest.cannot_be_converted)
        self.assertClientError(self.serve('PUT', '/customer/7'),
                               'no conversion for "identity" (not today)')

    def test_bad_body(self):
        """A body that does not decode as the resource gives cannot_be_converted."""
        answer = self.serve('POST', '/customer', {'Content-Type': 'application/json'},
                            b'{"value": {"age": "old"}}')
        self.assertClientError(answer, 'no conversion for "body"')

    def test_warnings_logged(self):
        """Requests that cannot be served are noted with a warning on the layer."""
        self.serve('PATCH', '/customer')
        self.serve('GET', '/Customer')
        self.assertEqual(len(self.layer.warnings), 2)
        self.assertIn('no matching call signature', self.layer.warnings[0])
        self.assertIn('/Customer', self.layer.warnings[1])

    def test_without_a_layer(self):
        """The helpers answer without a layer to log on."""
        request = form_request('GET', '/x')
        self.assertClientError(rest.cannot_be_dispatched(None, request), rest.UNUSABLE)
        self.assertClientError(rest.cannot_be_converted(None, request, 'x', 'why'),
                               'no conversion for "x" (why)')
        self.assertClientError(rest.cannot_be_dispatched(None), rest.UNUSABLE)

    def test_none_result_sends_nothing(self):
        """A function returning None sends no answer (it may answer later)."""
        self.dispatch.add(Customer, lc.HttpMethod.PUT, nothing, identity=int)
        self.dispatch(self.layer, form_request('PUT', '/customer/1'))
        self.assertEqual(self.layer.sent, [])

    def test_layer_is_self(self):
        """The function is called with the layer as self."""
        seen = []

        def record(self):
            seen.append(self)
        self.dispatch.add(Order, lc.HttpMethod.GET, record)
        self.dispatch(self.layer, form_request('GET', '/order'))
        self.assertEqual(seen, [self.layer])

    def test_text_passed_through(self):
        """A field with converter None gets the matched text."""
        self.dispatch.add(Order, lc.HttpMethod.GET, read_customer, identity=None)
        f, kwargs = self.dispatch.lookup(form_request('GET', '/order/12'))
        self.assertEqual(kwargs, {'identity': '12'})

    def test_special_names(self):
        """body, header and http take those parts of the request, converted or not."""
        got = []

        def record(self, body=None, header=None, http=None):
            got.append((body, header, http))
        self.dispatch.add(Order, lc.HttpMethod.PUT, record, body=None, header=None,
                          http=lambda text: text.lower())
        self.dispatch.add(Order, lc.HttpMethod.POST, record, body=rest.decode_resource,
                          header=lambda h: sorted(h))
        self.dispatch(self.layer, form_request('PUT', '/order', {'X-A': '1'}, b'raw'))
        self.dispatch(self.layer, form_request('POST', '/order', {'X-A': '1'},
                                               b'{"value": {"item": "pen"}}'))
        self.dispatch(self.layer, form_request('POST', '/order'))
        (body, header, http), (order, names, _), (none, _, _) = got
        self.assertEqual((body, header, http), (bytearray(b'raw'), {'X-A': '1'}, 'http/1.1'))
        self.assertEqual((type(order), order.item, names), (Order, 'pen', ['X-A']))
        self.assertIsNone(none)


class HelperTests(unittest.SynchronousTestCase):
    """decode_resource and decode_body."""

    def test_decode_resource(self):
        """A JSON body becomes an instance of the type; no body gives None."""
        c = rest.decode_resource(b'{"value": {"name": "Ann"}}', lc.def_type(Customer))
        self.assertEqual((type(c), c.name, c.age), (Customer, 'Ann', None))
        self.assertEqual(rest.decode_resource(bytearray(b'{"value": {}}'), Customer).name, None)
        self.assertIsNone(rest.decode_resource(None, Customer))
        self.assertIsNone(rest.decode_resource(b'', Customer))

    def test_decode_resource_errors(self):
        """A body that is not the type's encoding raises the codec's error."""
        self.assertRaises(lc.CodecError, rest.decode_resource, b'{', Customer)
        self.assertRaises(lc.CodecError, rest.decode_resource, b'{"value": {"age": "x"}}',
                          Customer)

    def test_decode_body(self):
        """decode_body(T) decodes as T whatever resource type it is handed."""
        convert = rest.decode_body(Order)
        o = convert(b'{"value": {"item": "pen"}}', lc.def_type(Customer))
        self.assertEqual((type(o), o.item), (Order, 'pen'))
        self.assertIsNone(convert(None, lc.def_type(Customer)))


def answer_bytes(dispatch, data):
    """Request bytes through parser, form, dispatch and response encoding: the responses."""
    pattern, names = FORM.compile_form()
    out = []
    for item in H.RequestParser().feed(data):
        if isinstance(item, H.HttpError):
            out.append(H.error_response_bytes(item, H.REST_SERVER))
            continue
        try:
            request = H.request_to_form(item, pattern, names)
        except H.HttpError as e:
            out.append(H.error_response_bytes(e, H.REST_SERVER))
            continue
        layer = Layer()
        dispatch(layer, request)
        out.extend(H.response_bytes(m, H.REST_SERVER) for m, _ in layer.sent)
    return out


class EndToEndTests(unittest.SynchronousTestCase):
    """Item 20 from request bytes to response bytes, without a transport."""

    def test_item_20(self):
        """List, create (201), read, delete 99 (404), /customer/x and PATCH (400) in one stream."""
        body = b'{"value": {"name": "Ann", "age": 3}}'
        data = (b'GET /customer HTTP/1.1\r\n\r\n'
                b'POST /customer HTTP/1.1\r\nContent-Type: application/json\r\n'
                b'Content-Length: %d\r\n\r\n%s' % (len(body), body) +
                b'GET /customer/7 HTTP/1.1\r\n\r\n'
                b'DELETE /customer/99 HTTP/1.1\r\n\r\n'
                b'GET /customer/x HTTP/1.1\r\n\r\n'
                b'PATCH /customer HTTP/1.1\r\n\r\n')
        responses = answer_bytes(customers(), data)
        heads = []
        for response in responses:
            head, _, payload = response.partition(b'\r\n\r\n')
            heads.append((head.split(b'\r\n')[0], payload))
            self.assertIn(b'\r\nServer: Layer-Cake-REST-server/1.0\r\n', head)
        self.assertEqual([h for h, _ in heads], [
            b'HTTP/1.1 200 OK', b'HTTP/1.1 201 Created', b'HTTP/1.1 200 OK',
            b'HTTP/1.1 404 Not Found', b'HTTP/1.1 400 Bad Request',
            b'HTTP/1.1 400 Client Error'])
        self.assertEqual([p for _, p in heads[:4]], [b'all of them', b'Ann', b'customer 7', b''])
        self.assertIn('no matching call signature',
                      json.loads(heads[5][1])['value'][1]['explanation'])
        self.assertEqual(json.loads(heads[4][1])['value'][1]['error_code'], 400)
