// The Runscope environment's initial script for Okta's SCIM 2.0 SPEC test:
// it sets the variables the test's steps use (Okta's own initial script
// sets the same names). Runs in runscope.js's sandbox: variables.set, Math.
var letters = 'abcdefghijklmnopqrstuvwxyz';
function pick(n, from) {
	var s = '';
	while (s.length < n)
		s += from.charAt(Math.floor(Math.random() * from.length));
	return s;
}
var given = 'Spec' + pick(4, '0123456789');
var family = pick(1, letters.toUpperCase()) + pick(8, letters) + pick(3, '0123456789');
var email = given + family + '@example.org';

variables.set('randomGivenName', given);
variables.set('randomFamilyName', family);
variables.set('randomEmail', email);
variables.set('randomUsername', email);
variables.set('randomUsernameCaps', email.toUpperCase());
variables.set('InvalidUserEmail', 'nobody-' + pick(8, letters) + '@example.org');
variables.set('UserIdThatDoesNotExist', '010101001010101011001010101011');
variables.set('randomGroupName', 'SpecGroup' + pick(6, '0123456789'));
